/*
 * tbn_blobs.h - what `tbn build --engine jerryscript` generates in
 * tbn_blobs.c for linking into a JerryScript board firmware: the model as a
 * Storage file, the app source and (optionally) its snapshot.
 */
#ifndef TBN_BLOBS_H
#define TBN_BLOBS_H

#include <stdint.h>

typedef struct {
  const char *name;     /* Storage file name, e.g. "model.tbn" */
  const uint8_t *bytes; /* 4-byte aligned, in flash */
  uint32_t len;
} tbn_blob;

extern const tbn_blob tbn_storage_files[];
extern const uint32_t tbn_storage_file_count;
extern const uint8_t tbn_model_blob[];
extern const uint32_t tbn_model_blob_len;
extern const uint8_t tbn_app_source[];
extern const uint32_t tbn_app_source_len;
/* jerry-snapshot output as bytes, 4-byte aligned; length 0 = run tbn_app_source */
extern const uint8_t tbn_app_snapshot[];
extern const uint32_t tbn_app_snapshot_len;

#endif /* TBN_BLOBS_H */
