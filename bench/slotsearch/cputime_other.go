//go:build !linux

package main

import "time"

// threadCPU is not available here; only wall time is reported.
func threadCPU() time.Duration { return 0 }

const haveThreadCPU = false
