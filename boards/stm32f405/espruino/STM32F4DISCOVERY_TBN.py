#!/bin/false
# STM32F4DISCOVERY_TBN: Espruino's STM32F4DISCOVERY board (boards/STM32F4DISCOVERY.py, Espruino 2v29) plus the tbn library
# (require("tbn"), native-modules/espruino/jswrap_tbn.c and the C kernel).
# STM32F407VG Discovery (the STM32F4 family of our stm32f405 board: 192 KB RAM, 1 MB flash).
#
# Built by `tbn firmware --engine espruino --engine-dir /path/to/Espruino --board STM32F4DISCOVERY_TBN` (docs/engines.md):
# it copies this file into Espruino's boards/ (nothing else in the Espruino tree is changed) and runs
#   make BOARD=STM32F4DISCOVERY_TBN TBN_ROOT=/absolute/path/to/tbn RELEASE=1 PYTHON=python3 GENDIR=.. OBJDIR=.. BINDIR=..
# with the three build directories under its -o DIR.
import copy
from STM32F4DISCOVERY import *  # info, chip, devices, get_pins, ... of the upstream board

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
