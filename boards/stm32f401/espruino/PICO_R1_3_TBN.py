#!/bin/false
# PICO_R1_3_TBN: Espruino's PICO_R1_3 board (boards/PICO_R1_3.py, Espruino 2v29) plus the tbn library
# (require("tbn"), native-modules/espruino/jswrap_tbn.c and the C kernel).
# Espruino Pico (STM32F401CD, 96 KB RAM, 384 KB flash; flash is already tight).
#
# Built by `tbn firmware --engine espruino --engine-dir /path/to/Espruino --board PICO_R1_3_TBN` (docs/engines.md):
# it copies this file into Espruino's boards/ (nothing else in the Espruino tree is changed) and runs
#   make BOARD=PICO_R1_3_TBN TBN_ROOT=/absolute/path/to/tbn RELEASE=1 PYTHON=python3 GENDIR=.. OBJDIR=.. BINDIR=..
# with the three build directories under its -o DIR.
import copy
from PICO_R1_3 import *  # info, chip, devices, get_pins, ... of the upstream board

info = copy.deepcopy(info)
info['name'] = info['name'] + ' + tbn'
# The Pico's 320 KB of firmware flash is already full: upstream PICO_R1_3 itself is 329,824 B
# with Debian 12's arm-none-eabi-gcc 12.2 (over the 327,680 B limit). Networking (NET, and TLS
# which needs it) goes to make room; everything else of the upstream board stays.
info['build']['libraries'] = [l for l in info['build']['libraries'] if l not in ('NET', 'TLS')]
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
