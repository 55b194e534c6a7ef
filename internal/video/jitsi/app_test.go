package jitsi

import "testing"

// TestJitsiDataUse: Jitsi has no API, so the marketplace says Convene asks
// it nothing, and what Convene keeps (the room and its link).
func TestJitsiDataUse(t *testing.T) {
	if jitsi := App(Config{}); len(jitsi.DataUse.Calls) != 0 || len(jitsi.DataUse.Kept) == 0 {
		t.Errorf("Jitsi's data use: %+v", jitsi.DataUse)
	}
}
