package events

import (
	"context"
	"strings"

	"go.uber.org/zap"
)

// leaseOwner is the holder name this relay takes the lease under: "<node>/<member
// id>/<relay id>" when the relay knows its member id (see RelayConfig.Members), so that
// another relay can tell when the process holding the lease is gone; "<node>/<relay id>"
// otherwise. ok is false while Members is set and the member id is not known yet: the
// relay then waits rather than take a lease nobody could take over early.
func (k *leaseKeeper) leaseOwner() (owner string, ok bool) {
	if k.cfg.Members == nil {
		return k.cfg.Node + "/" + k.owner, true
	}
	member := k.cfg.Members.MemberID()
	if member == "" {
		return "", false
	}
	return k.cfg.Node + "/" + member + "/" + k.owner, true
}

// holderMember returns the node name and member id in a lease holder named by
// leaseOwner; member is "" when the holder names none.
func holderMember(holder string) (node, member string) {
	parts := strings.Split(holder, "/")
	if len(parts) != 3 {
		return "", ""
	}
	return parts[0], parts[1]
}

// takeOverFromGone takes the lease from its holder when the holder's process is known
// to be gone (see Members.MemberGone), without waiting for the holder's time to run out. The bumped
// epoch fences the holder's marks; a holder that still ran (declared dead by mistake)
// finds its marks refused and stops. ok is false when there is nothing to take over.
func (k *leaseKeeper) takeOverFromGone(ctx context.Context, owner string) (token int64, ok bool, err error) {
	takeover, can := k.cfg.Outbox.(RelayLeaseTakeover)
	if !can || k.cfg.Members == nil {
		return 0, false, nil
	}
	holder, live, err := takeover.RelayLeaseHolder(ctx)
	if err != nil || !live {
		return 0, false, err // an expired lease is for AcquireRelayLease
	}
	node, member := holderMember(holder)
	if member == "" || member == k.cfg.Members.MemberID() || !k.cfg.Members.MemberGone(node, member) {
		return 0, false, nil
	}
	token, ok, err = takeover.TakeOverRelayLease(ctx, owner, holder, k.cfg.LeaseTTL)
	if ok {
		k.log.Info("took the relay lease over from a member that is gone", zap.String("holder", holder), zap.Int64("token", token))
	}
	return token, ok, err
}
