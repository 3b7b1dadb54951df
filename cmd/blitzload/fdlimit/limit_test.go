package fdlimit

import (
	"strings"
	"testing"
)

func TestRaiseReachesTheHardLimit(t *testing.T) {
	l, err := Raise()
	if err != nil {
		t.Fatal(err)
	}
	if l.Soft != l.Hard || l.Soft < l.SoftBefore {
		t.Errorf("limit %+v: soft must end at hard", l)
	}
}

func TestCheckRefusesTooManyConnections(t *testing.T) {
	l := Limit{SoftBefore: 1024, Soft: 1024, Hard: 1024}
	if err := l.Check(500); err != nil {
		t.Errorf("500 connections within 1024: %v", err)
	}
	err := l.Check(1000)
	if err == nil || !strings.Contains(err.Error(), "1000 connections") {
		t.Errorf("1000 connections + reserve over 1024: %v", err)
	}
}
