package waitingroom

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// passKeyLabel derives the pass key from the server's secret, so that a pass can never
// be mistaken for a token signed with the same secret, nor the other way round.
const passKeyLabel = "ticketblitz waiting-room pass v1"

// passVersion starts every pass.
const passVersion = "v1"

// Passes issues and verifies queue passes: an HMAC-SHA256 over the event, the user, the
// ticket, the expiry and the admission, with a key derived from the server's secret.
// Every node with the same secret verifies any node's passes without asking anybody.
type Passes struct {
	key []byte
}

// NewPasses derives the pass key from secret.
func NewPasses(secret []byte) *Passes {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(passKeyLabel))
	return &Passes{key: m.Sum(nil)}
}

// passClaims is what a pass says: [event, user, ticket, expiry in unix seconds,
// admission in unix milliseconds]. A pass issued before it carried its admission reads
// as admitted at 0 (unknown), and such a server reads a pass that carries it as it
// did, the admission left out.
type passClaims struct {
	EventID  string
	UserID   string
	TicketID string
	Expires  int64
	Admitted int64
}

func (c passClaims) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{c.EventID, c.UserID, c.TicketID, c.Expires, c.Admitted})
}

func (c *passClaims) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &[]any{&c.EventID, &c.UserID, &c.TicketID, &c.Expires, &c.Admitted})
}

// Issue returns the pass of a ticket admitted at admitted, valid until expires (to the
// second).
func (p *Passes) Issue(eventID, userID, ticketID string, admitted, expires time.Time) string {
	payload, _ := json.Marshal(passClaims{EventID: eventID, UserID: userID, TicketID: ticketID, Expires: expires.Unix(), Admitted: admitted.UnixMilli()})
	body := base64.RawURLEncoding.EncodeToString(payload)
	return passVersion + "." + body + "." + base64.RawURLEncoding.EncodeToString(p.mac(body))
}

func (p *Passes) mac(body string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(passVersion + "." + body))
	return m.Sum(nil)
}

// Verify checks that pass is a valid pass of userID for eventID at now. Every refusal is
// a QUEUE_REQUIRED error saying why.
func (p *Passes) Verify(pass, eventID, userID string, now time.Time) error {
	version, body, sig, ok := splitPass(pass)
	if !ok || version != passVersion {
		return queueRequired("the queue pass is malformed")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, p.mac(body)) {
		return queueRequired("the queue pass is not valid")
	}
	c, ok := decodeClaims(body)
	if !ok {
		return queueRequired("the queue pass is malformed")
	}
	switch {
	case c.EventID != eventID:
		return queueRequired("the queue pass is for another event")
	case c.UserID != userID:
		return queueRequired("the queue pass is another fan's")
	case !now.Before(time.Unix(c.Expires, 0)):
		return queueRequired("the queue pass has expired; join the queue again")
	}
	return nil
}

// splitPass cuts a pass "<version>.<body>.<signature>" into its parts.
func splitPass(pass string) (version, body, sig string, ok bool) {
	version, rest, ok := strings.Cut(pass, ".")
	body, sig, ok2 := strings.Cut(rest, ".")
	return version, body, sig, ok && ok2
}

// decodeClaims reads the claims of a pass's body, unchecked.
func decodeClaims(body string) (passClaims, bool) {
	payload, err := base64.RawURLEncoding.DecodeString(body)
	var c passClaims
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return passClaims{}, false
	}
	return c, true
}

func queueRequired(why string) error {
	return &actors.Error{Code: actors.CodeQueueRequired, Message: why}
}
