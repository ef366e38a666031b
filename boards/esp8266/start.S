/* start.S - lx106 reset at 0x50000000 (CALL0 ABI): jump over the literals,
 * set sp, zero .bss, run the harness, exit through semihosting. */
  .section .text.start, "ax"
  .global _start
_start:
  j 1f
  .align 4
.Lestack: .word _estack
.Lsbss:   .word _sbss
.Lebss:   .word _ebss
.Lmain:   .word harness_main
.Lexit:   .word board_exit
1:
  l32r a1, .Lestack
  l32r a2, .Lsbss
  l32r a3, .Lebss
  movi a4, 0
2:
  bgeu a2, a3, 3f
  s32i a4, a2, 0
  addi a2, a2, 4
  j 2b
3:
  l32r a0, .Lmain
  callx0 a0
  l32r a3, .Lexit
  callx0 a3
4:
  j 4b
