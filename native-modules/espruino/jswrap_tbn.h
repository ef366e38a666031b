/*
 * jswrap_tbn.h - Espruino wrapper for the tbn kernel (see jswrap_tbn.c).
 * Espruino's wrapper generator needs a header with the wrapper's base name.
 */
#ifndef JSWRAP_TBN_H
#define JSWRAP_TBN_H

#include "jsvar.h"

JsVar *jswrap_tbn_open(JsVar *bytes);
JsVar *jswrap_tbn_info(JsVar *model);
JsVar *jswrap_tbn_run(JsVar *model, JsVar *input, JsVar *logits, JsVar *params);
void jswrap_tbn_close(JsVar *model);

#endif /* JSWRAP_TBN_H */
