#!/bin/false
# LINUX_TBN: Espruino's LINUX board (boards/LINUX.py, Espruino 2v29) plus the tbn library
# (require("tbn"), native-modules/espruino/jswrap_tbn.c and the C kernel).
# Linux host build: bin/espruino with require("tbn"), used to run test/contract.
#
# Built by `tbn firmware --engine espruino --engine-dir /path/to/Espruino --board LINUX_TBN` (docs/engines.md):
# it copies this file into Espruino's boards/ (nothing else in the Espruino tree is changed) and runs
#   make BOARD=LINUX_TBN TBN_ROOT=/absolute/path/to/tbn RELEASE=1 PYTHON=python3 GENDIR=.. OBJDIR=.. BINDIR=..
# with the three build directories under its -o DIR.
import copy
from LINUX import *  # info, chip, devices, get_pins, ... of the upstream board

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
