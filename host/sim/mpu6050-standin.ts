/**
 * An MPU-6050 stand-in written in ES5 for real engines (Espruino for Linux, our JerryScript main),
 * which have no I2C sensor: prepended to the bundle, it defines I2C1 with the registers the driver
 * uses, a 1,024-byte FIFO with overflow, and samples on getTime()'s clock after wake-up whose
 * counts are a fixed function of the sample index (standInCount), so a test on the host knows
 * every value the engine's app read.
 */

/** Count of raw channel c (ax..gz) of the k-th sample after wake-up. */
export function standInCount(k: number, c: number): number {
  return ((k * (37 + 11 * c) + c * 4099) % 16001) - 8000;
}

export const MPU6050_STANDIN_JS = `var I2C1 = (function () {
  var regs = new Uint8Array(128), fifo = new Uint8Array(1024), ptr = 0, head = 0, fill = 0, wake = 0, produced = 0, i;
  function reset() { for (i = 0; i < 128; i++) regs[i] = 0; regs[0x6b] = 0x40; regs[0x75] = 0x68; head = 0; fill = 0; }
  function count(k, c) { return ((k * (37 + 11 * c) + c * 4099) % 16001) - 8000; }
  function period() { var d = regs[0x1a] & 7; return (1000 * (1 + regs[0x19])) / (d >= 1 && d <= 6 ? 1000 : 8000); }
  function push(b) {
    if (fill === 1024) { head = (head + 1) % 1024; fill--; regs[0x3a] |= 0x10; }
    fifo[(head + fill) % 1024] = b; fill++;
  }
  function advance() {
    if (regs[0x6b] & 0x40) return;
    var due = Math.floor((getTime() * 1000 - wake) / period());
    while (produced < due) {
      var k = produced++;
      if (regs[0x6a] & 0x40 && regs[0x23] === 0x78) for (var c = 0; c < 6; c++) { var v = count(k, c) & 0xffff; push(v >> 8); push(v & 0xff); }
    }
  }
  function set(r, v) {
    if (r === 0x6b) {
      if (v & 0x80) { reset(); return; }
      if (regs[0x6b] & 0x40 && !(v & 0x40)) { wake = getTime() * 1000; produced = 0; }
      regs[r] = v; return;
    }
    if (r === 0x6a) { if (v & 4) { head = 0; fill = 0; } regs[r] = v & ~4; return; }
    if (r !== 0x75 && r !== 0x3a && r !== 0x72 && r !== 0x73) regs[r] = v;
  }
  reset();
  return {
    setup: function () {},
    writeTo: function (addr, data) {
      if (addr !== 0x68) throw new Error('I2C got timeout');
      advance();
      if (typeof data === 'number') { ptr = data; return; }
      ptr = data[0];
      for (var j = 1; j < data.length; j++) { set(ptr, data[j]); if (ptr !== 0x74) ptr = (ptr + 1) & 0x7f; }
    },
    readFrom: function (addr, n) {
      if (addr !== 0x68) throw new Error('I2C got timeout');
      advance();
      var out = new Uint8Array(n);
      for (var j = 0; j < n; j++) {
        if (ptr === 0x74) { if (fill > 0) { out[j] = fifo[head]; head = (head + 1) % 1024; fill--; } continue; }
        out[j] = ptr === 0x72 ? fill >> 8 : ptr === 0x73 ? fill & 0xff : regs[ptr];
        if (ptr === 0x3a) regs[0x3a] = 0;
        ptr = (ptr + 1) & 0x7f;
      }
      return out;
    }
  };
})();
`;
