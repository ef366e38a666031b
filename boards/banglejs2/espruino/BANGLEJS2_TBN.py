#!/bin/false
# BANGLEJS2_TBN: Espruino's Bangle.js 2 (boards/BANGLEJS2.py, Espruino 2v29) plus the tbn library
# (require("tbn"), native-modules/espruino/jswrap_tbn.c and the C kernel).
# nRF52840, 64 MHz Cortex-M4F, 256 KB RAM, 1 MB flash (Storage in the 8 MB external SPI flash),
# accelerometer KX023 read through Bangle.on('accel') (tbn build --sensor bangle, docs/sensors.md).
#
# Copy this file into Espruino's boards/ directory, then from the Espruino root:
#   make clean && make BOARD=BANGLEJS2_TBN TBN_ROOT=/absolute/path/to/tbn RELEASE=1
# (see docs/engines.md). Nothing else in the Espruino tree is changed. The result is a DFU zip /
# hex like upstream's espruino_2v29_banglejs2.hex, flashed the way espruino.com/Bangle.js2 says.
import copy
from BANGLEJS2 import *  # info, chip, devices, get_pins, ... of the upstream board

info = copy.deepcopy(info)
info['name'] = info['name'] + ' + tbn'
info['build']['makefile'] = list(info['build'].get('makefile', [])) + [
  # TBN_ROOT = a checkout of the tbn repository (must be given on the make command line)
  'TBN_ROOT ?= $(error pass TBN_ROOT=/absolute/path/to/the/tbn/checkout)',
  'WRAPPERSOURCES += $(TBN_ROOT)/native-modules/espruino/jswrap_tbn.c',
  'SOURCES += $(sort $(wildcard $(TBN_ROOT)/native-modules/core/*.c))',
  'INCLUDE += -I$(TBN_ROOT)/native-modules -I$(TBN_ROOT)/native-modules/espruino',
  'DEFINES += -DUSE_TBN=1',
  # the kernel quantises floats bit-exactly only without fused multiply-add
  'CFLAGS += -ffp-contract=off',
]
