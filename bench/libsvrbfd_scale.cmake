# libsvrbfd scale benchmark: bench/bfd_scale.sh drives svr-bfd, FRR's bfdd
# and bfd_floor (a bare sendto/recvfrom loop, the cost floor).  Not a test.
add_executable(bfd_floor bfd_floor.c)
