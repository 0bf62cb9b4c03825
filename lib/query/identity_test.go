package query

import "testing"

// TestIdentityAndDaemonFields: host, run_id and seq are fields of every record, the daemon records'
// fields are queryable, and a record without seq (an old log) matches no comparison with it.
func TestIdentityAndDaemonFields(t *testing.T) {
	stop := []byte(`{"timestamp":"2026-12-01T12:00:00Z","record_type":"daemon","event":"stop","reason":"SIGTERM","written_starts":12,"host":"web-1","run_id":"20261201110000","seq":40}`)
	crashed := []byte(`{"timestamp":"2026-12-01T12:00:00Z","record_type":"daemon","event":"crashed","prev_run_id":"20261201100000","prev_last_timestamp":"2026-12-01T11:00:00Z","prev_last_seq":9,"host":"web-1","run_id":"20261201110000","seq":2}`)
	old := []byte(`{"timestamp":"2026-12-01T12:00:00Z","event_id":"e-1","record_type":"end","pid":1,"source":"user","duration_ns":1}`)
	for _, c := range []struct {
		q    string
		line []byte
		want bool
	}{
		{"record_type=daemon && event=stop && reason=SIGTERM", stop, true},
		{"host=web-1 && run_id=20261201110000 && seq>=40 && seq<41", stop, true},
		{"written_starts=12", stop, true},
		{"host=web-2", stop, false},
		{"prev_run_id=20261201100000 && prev_last_seq=9 && prev_last_timestamp<2026-12-01T11:00:01Z", crashed, true},
		{"seq>0", old, false},
		{"seq<=0", old, false},
		{`host=""`, old, true},
	} {
		q, err := Compile(c.q)
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		if got, err := q.Match(c.line); err != nil || got != c.want {
			t.Errorf("%q on %s: %v, %v; want %v", c.q, c.line, got, err, c.want)
		}
	}
}
