package record

// AppendJSON appends r as encoding/json would marshal it (a test compares the two).
func (r *Daemon) AppendJSON(b []byte) []byte {
	b = r.Self.appendJSON(b)
	b = appendStr(b, `,"event":`, r.Event)
	if s := r.DaemonStart; s != nil {
		b = appendStr(b, `,"version":`, s.Version)
		b = appendStr(b, `,"kernel":`, s.Kernel)
		b = appendStr(b, `,"boot_id":`, s.BootID)
		b = appendOptStr(b, `,"config_path":`, s.ConfigPath)
		b = appendOptStr(b, `,"config_sha256":`, s.ConfigSHA256)
		b = appendStr(b, `,"log_path":`, s.LogPath)
		b = appendStrings(b, `,"attach":`, s.Attach, false)
	}
	if s := r.DaemonStop; s != nil {
		b = appendStr(b, `,"reason":`, s.Reason)
		b = appendUint(b, `,"written_starts":`, s.WrittenStarts)
		b = appendUint(b, `,"written_ends":`, s.WrittenEnds)
		b = appendUint(b, `,"written_fails":`, s.WrittenFails)
		b = appendUint(b, `,"written_losses":`, s.WrittenLosses)
		b = appendUint(b, `,"lost_starts":`, s.LostStarts)
		b = appendUint(b, `,"lost_ends":`, s.LostEnds)
		b = appendUint(b, `,"lost_fails":`, s.LostFails)
		b = appendUint(b, `,"lost_forks":`, s.LostForks)
		b = appendUint(b, `,"unwritten_starts":`, s.UnwrittenStarts)
		b = appendUint(b, `,"unwritten_ends":`, s.UnwrittenEnds)
		b = appendUint(b, `,"unwritten_fails":`, s.UnwrittenFails)
	}
	if c := r.DaemonCrashed; c != nil {
		b = appendStr(b, `,"prev_run_id":`, c.PrevRunID)
		b = appendStr(b, `,"prev_last_timestamp":`, c.PrevLastTimestamp)
		b = appendUint(b, `,"prev_last_seq":`, c.PrevLastSeq)
	}
	b = r.Identity.appendJSON(b)
	return append(b, '}')
}
