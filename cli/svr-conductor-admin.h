/* SPDX-License-Identifier: BSD-2-Clause */
/* svr-conductor logs / connect (svr-conductor-admin.c). */
#ifndef SVR_CONDUCTOR_ADMIN_H
#define SVR_CONDUCTOR_ADMIN_H
int svr_conductor_logs(int argc, char **argv);
int svr_conductor_connect(int argc, char **argv);
#endif
