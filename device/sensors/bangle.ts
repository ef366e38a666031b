/**
 * The Bangle.js 2 accelerometer (KX023) through Espruino's Bangle API: Bangle.setPollInterval sets
 * how often the firmware reads it and fires Bangle.on('accel', {x, y, z} in g); the KX023's own
 * output data rate (ODCNTL 0x1B, written in standby through Bangle.accelWr where the firmware has
 * it) is raised to at least the poll rate. The ±4 g range (CNTL1 GSEL = 01) gives 8192 counts per g.
 */

/** KX023 ODCNTL code for the lowest output rate >= rateHz (12.5 Hz * 2^code), at most 1600 Hz. */
export function kxOdr(rateHz: number): number {
  var code = 0;
  while (code < 7 && 12.5 * (1 << code) < rateHz) code++;
  return code;
}

/** Poll interval in ms for a rate, within what Bangle.setPollInterval accepts (10..4000). */
export function banglePollMs(rateHz: number): number {
  var ms = Math.round(1000 / rateHz);
  return ms < 10 ? 10 : ms > 4000 ? 4000 : ms;
}

export function bangleStart(bangle: any, rateHz: number, handler: (a: { x: number; y: number; z: number }) => void): void {
  if (bangle.accelWr) {
    bangle.accelWr(0x18, 0x6c); // CNTL1: standby (PC1 = 0), high resolution, data ready, ±4 g, tap
    bangle.accelWr(0x1b, kxOdr(rateHz));
    bangle.accelWr(0x18, 0xec); // CNTL1: operating
  }
  bangle.setPollInterval(banglePollMs(rateHz));
  bangle.on('accel', handler);
}

export function bangleStop(bangle: any, handler: (a: { x: number; y: number; z: number }) => void): void {
  bangle.removeListener('accel', handler);
}
