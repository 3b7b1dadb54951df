package soak

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"time"
)

// The node log lines the kill's measurements read (LOG_FORMAT=json).
const (
	// msgMemberLost starts a survivor's loss line, whichever told it first: memberlist
	// ("member lost: declared dead by failure detection; …") or the refusal prober
	// ("member lost: its process refuses connections; …"). Each is logged once per loss.
	msgMemberLost = "member lost"
	msgTookOver   = "took the section over"
)

// logLine is the part of a node's JSON log line the soak reads.
type logLine struct {
	TS      string `json:"ts"`
	Msg     string `json:"msg"`
	Member  string `json:"member"`
	Section string `json:"section"`
}

// takeoverTimes reads a survivor's log: when it counted victim lost (zero when it
// never did) and when it took each section over, by "<event>/<section>", both at or
// after since.
func takeoverTimes(path, victim string, since time.Time) (lost time.Time, tookOver map[string]time.Time, err error) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, nil, err
	}
	defer f.Close()
	tookOver = map[string]time.Time{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), msgMemberLost) && !strings.Contains(string(line), msgTookOver) {
			continue
		}
		var l logLine
		if json.Unmarshal(line, &l) != nil {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, l.TS)
		if err != nil || ts.Before(since) {
			continue
		}
		switch {
		case strings.HasPrefix(l.Msg, msgMemberLost) && l.Member == victim && lost.IsZero():
			lost = ts
		case strings.HasPrefix(l.Msg, msgTookOver) && l.Section != "":
			if _, seen := tookOver[l.Section]; !seen {
				tookOver[l.Section] = ts
			}
		}
	}
	return lost, tookOver, sc.Err()
}
