package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
)

// NewSectionKind returns the cluster kind "section": one virtual actor per event section.
func NewSectionKind(cfg SectionConfig) (*protocluster.Kind, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	reg := newMailboxRegistry(c.MailboxLimit, c.Metrics, c.Clock, c.takenWindow())
	props := actor.PropsFromProducer(func() actor.Actor {
		return &sectionActor{cfg: &c, mailboxes: reg, log: c.Logger}
	}, actor.WithMailbox(reg.producer()))
	return protocluster.NewKind(SectionKindName, props), nil
}
