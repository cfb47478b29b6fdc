/* shim.h — Open MPI's mpi.h, found through pkg-config ompi-c. */
#include <mpi.h>
