package main

import (
	"strings"
	"testing"
	"time"
)

func TestConfigRetentionDefaults(t *testing.T) {
	c, err := parseTestConfig(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.IdempotencyRetention != 24*time.Hour || c.OutboxRetention != time.Hour || c.NotificationsRetention != 7*24*time.Hour {
		t.Errorf("retentions %v, %v, %v; want 24h, 1h, 168h", c.IdempotencyRetention, c.OutboxRetention, c.NotificationsRetention)
	}
	if c.QueueTicketRetention != time.Hour {
		t.Errorf("queue ticket retention %v; want 1h", c.QueueTicketRetention)
	}
}

func TestConfigRetentionValidation(t *testing.T) {
	for _, tc := range []struct {
		env, val string
		bad      string // the flag the error names; empty when the value is valid
	}{
		{"TICKETBLITZ_IDEMPOTENCY_RETENTION", "0", ""},
		{"TICKETBLITZ_IDEMPOTENCY_RETENTION", "10m", ""},
		{"TICKETBLITZ_IDEMPOTENCY_RETENTION", "9m59s", "idempotency-retention"},
		{"TICKETBLITZ_IDEMPOTENCY_RETENTION", "1s", "idempotency-retention"},
		{"TICKETBLITZ_IDEMPOTENCY_RETENTION", "-1h", "idempotency-retention"},
		{"TICKETBLITZ_OUTBOX_RETENTION", "0", ""},
		{"TICKETBLITZ_OUTBOX_RETENTION", "1s", ""},
		{"TICKETBLITZ_OUTBOX_RETENTION", "-1s", "outbox-retention"},
		{"TICKETBLITZ_NOTIFICATIONS_RETENTION", "0", ""},
		{"TICKETBLITZ_NOTIFICATIONS_RETENTION", "720h", ""},
		{"TICKETBLITZ_NOTIFICATIONS_RETENTION", "-720h", "notifications-retention"},
		{"TICKETBLITZ_QUEUE_TICKET_RETENTION", "0", ""},
		{"TICKETBLITZ_QUEUE_TICKET_RETENTION", "1m", ""},
		{"TICKETBLITZ_QUEUE_TICKET_RETENTION", "-1m", "queue-ticket-retention"},
	} {
		_, err := parseTestConfig(nil, map[string]string{tc.env: tc.val})
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%s=%s: %v", tc.env, tc.val, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%s=%s: err = %v, want one about %s", tc.env, tc.val, err, tc.bad)
		}
	}
}
