#!/bin/false
# ESP32_TBN: Espruino's ESP32 board (boards/ESP32.py, Espruino 2v29) plus the tbn library
# (require("tbn"), native-modules/espruino/jswrap_tbn.c and the C kernel).
# ESP32 (ESP-IDF build of upstream ESP32.py; needs the ESP-IDF toolchain, not in Debian).
#
# Built by `tbn firmware --engine espruino --engine-dir /path/to/Espruino --board ESP32_TBN` (docs/engines.md):
# it copies this file into Espruino's boards/ (nothing else in the Espruino tree is changed) and runs
#   make BOARD=ESP32_TBN TBN_ROOT=/absolute/path/to/tbn RELEASE=1 PYTHON=python3 GENDIR=.. OBJDIR=.. BINDIR=..
# with the three build directories under its -o DIR.
import copy
from ESP32 import *  # info, chip, devices, get_pins, ... of the upstream board

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
