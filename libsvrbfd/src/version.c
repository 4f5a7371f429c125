/* SPDX-License-Identifier: BSD-2-Clause */
/* Runtime version information. */
#include "bfd_int.h"

static const svrbfd_info bfd_version_info = {1, SVRBFD_VERSION_NUM,
                                             SVRBFD_VERSION};

const svrbfd_info *svrbfd_version(int least_version) {
  if (least_version > SVRBFD_VERSION_NUM) {
    return NULL;
  }
  return &bfd_version_info;
}
