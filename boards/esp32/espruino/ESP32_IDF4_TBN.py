#!/bin/false
# ESP32_IDF4_TBN: Espruino's ESP32 board for ESP-IDF 4 (boards/ESP32_IDF4.py, Espruino 2v29: the ESP32
# build upstream CI makes) plus the tbn library (require("tbn"), native-modules/espruino/jswrap_tbn.c
# and the C kernel). ESP32_TBN.py is the same on the older ESP-IDF 3 board file (ESP32.py).
# Needs ESP-IDF v4.4 and its xtensa-esp32-elf toolchain (Espressif downloads, not in Debian).
#
# Copy this file into Espruino's boards/ directory, then from the Espruino root, with ESP-IDF set up
# (source $IDF_PATH/export.sh):
#   make clean && make BOARD=ESP32_IDF4_TBN TBN_ROOT=/absolute/path/to/tbn RELEASE=1
# (see docs/engines.md). Nothing else in the Espruino tree is changed.
# MPU-6050 wiring for tbn build --sensor mpu6050 --i2c I2C1:D22:D21 (Espruino's default ESP32 I2C
# pins: SCL D22, SDA D21); see README "Your own sensor".
import copy
from ESP32_IDF4 import *  # info, chip, devices, get_pins, ... of the upstream board

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
