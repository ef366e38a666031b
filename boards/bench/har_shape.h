/*
 * har_shape.h - the HAR CNN's shapes, shared by the bench harnesses that run the same network
 * (har_baselines.c: our int8/float32 reference kernels; cmsis_har.c: CMSIS-NN).
 * 128 samples x 6 channels -> conv k5 32 -> conv k5 64 -> maxpool 2 -> conv k5 64 -> GAP -> dense 5.
 */
#ifndef HAR_SHAPE_H
#define HAR_SHAPE_H

#define T0 128
#define C0 6
#define KW 5
#define C1 32
#define T1 (T0 - KW + 1) /* 124 */
#define C2 64
#define T2 (T1 - KW + 1) /* 120 */
#define T3 (T2 / 2)      /* 60 */
#define C3 64
#define T4 (T3 - KW + 1) /* 56 */
#define NCLS 5

#endif
