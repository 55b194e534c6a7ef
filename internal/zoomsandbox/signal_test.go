package zoomsandbox

import "syscall"

const syscallSIGTERM = syscall.SIGTERM
