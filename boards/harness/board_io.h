/* board_io.h - what each board's startup/io code gives the shared harness. */
#ifndef BOARD_IO_H
#define BOARD_IO_H

#include <stddef.h>
#include <stdint.h>

/* Writes len bytes to the host's stdout (semihosting or UART). */
void board_write(const char *text, size_t len);
/* Ends the emulation with this exit status. */
void board_exit(int status) __attribute__((noreturn));

/* The job blob, placed in flash by blob.S (.incbin of a host-generated file). */
extern const uint8_t tbn_blob[];
extern const uint8_t tbn_blob_end[];

#endif
