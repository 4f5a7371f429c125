# SPDX-License-Identifier: BSD-2-Clause
# libconductor fuzz target: the IPC frame stream decoder.
if(TARGET conductor_static)
  svr_add_fuzzer(NAME conductor_frame SOURCES conductor_frame.c
                 LIBS conductor_static)
endif()
# ... and the KEY / KEY_ACK decoder (rekey).
if(TARGET conductor_static)
  svr_add_fuzzer(NAME conductor_key_decode SOURCES conductor_key_decode.c
                 LIBS conductor_static)
endif()
# ... and the ADDRESS / PEER_ADDRESS decoder (dynamic peer update).
if(TARGET conductor_static)
  svr_add_fuzzer(NAME conductor_address_decode
                 SOURCES conductor_address_decode.c LIBS conductor_static)
endif()
# ... and the administration decoder (log retriever, shell, repository
# status: IPC version 6).
if(TARGET conductor_static)
  svr_add_fuzzer(NAME conductor_admin_decode
                 SOURCES conductor_admin_decode.c LIBS conductor_static)
endif()
# ... and the asset channel decoder (4505/4506).
if(TARGET conductor_asset)
  svr_add_fuzzer(NAME conductor_asset_decode SOURCES conductor_asset_decode.c
                 LIBS conductor_asset)
endif()
