/* blob.S - places the host-generated job blob in read-only memory (flash). */
#ifndef BLOB_FILE
#error "define BLOB_FILE as the quoted path of the blob"
#endif
  .section .rodata.tbn_blob, "a"
  .balign 16
  .global tbn_blob
tbn_blob:
  .incbin BLOB_FILE
  .global tbn_blob_end
tbn_blob_end:
  .balign 4
