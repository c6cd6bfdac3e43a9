package coretest

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// Decode opens and decodes a datagram as any node of the cluster would.
// Each call uses a fresh codec, so decoding a sealed datagram twice (once
// when sent, once when delivered) is not taken for a replay.
func Decode(cluster string, keys [][]byte, data []byte, now time.Time) ([]wire.Msg, error) {
	codec, err := wire.NewCodec(cluster, keys, nil)
	if err != nil {
		return nil, err
	}
	payload, err := codec.Open(data, now)
	if err != nil {
		return nil, err
	}
	var msgs []wire.Msg
	err = wire.NewDecoder().DecodeAll(payload, func(m wire.Msg) { msgs = append(msgs, m) })
	return msgs, err
}

// FormatDatagram renders a datagram as "from->to msg", one message of the
// packet per line, continuation lines aligned under the first message.
func (n *Net) FormatDatagram(d *Datagram) string {
	to := d.Addr.String()
	if d.To != nil {
		to = d.To.Name
	}
	head := d.From.Name + "->" + to + " "
	msgs, err := Decode(n.Cluster, n.Keys, d.Data, d.Sent)
	if err != nil {
		return head + "undecodable: " + err.Error()
	}
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteString("\n" + strings.Repeat(" ", len(head)))
		} else {
			b.WriteString(head)
		}
		b.WriteString(FormatMsg(m))
	}
	return b.String()
}

// MsgType is the name FormatMsg gives a message's kind, the one scripts
// select messages by.
func MsgType(m wire.Msg) string {
	switch m.(type) {
	case wire.Ping:
		return "ping"
	case wire.Ack:
		return "ack"
	case wire.Nack:
		return "nack"
	case wire.PingReq:
		return "ping-req"
	case wire.Alive:
		return "alive"
	case wire.Suspect:
		return "suspect"
	case wire.Dead:
		return "dead"
	case wire.Left:
		return "left"
	case wire.Digest:
		return "digest"
	case wire.Buckets:
		return "buckets"
	case wire.SyncReq:
		return "sync-req"
	case wire.Entry:
		return "entry"
	case wire.JoinReq:
		return "join-req"
	case wire.JoinDone:
		return "join-done"
	}
	return fmt.Sprintf("kind-%d", m.Kind())
}

// msgTypes are MsgType's names.
var msgTypes = map[string]bool{"ping": true, "ack": true, "nack": true, "ping-req": true, "alive": true,
	"suspect": true, "dead": true, "left": true, "digest": true, "buckets": true, "sync-req": true,
	"entry": true, "join-req": true, "join-done": true}

// FormatMsg renders one message: its type and fields.
func FormatMsg(m wire.Msg) string {
	t := MsgType(m)
	switch m := m.(type) {
	case wire.Ping:
		return fmt.Sprintf("%s seq=%d target=%s", t, m.Seq, m.Target)
	case wire.Ack:
		return fmt.Sprintf("%s seq=%d", t, m.Seq)
	case wire.Nack:
		return fmt.Sprintf("%s seq=%d", t, m.Seq)
	case wire.PingReq:
		return fmt.Sprintf("%s seq=%d target=%s", t, m.Seq, m.Target)
	case wire.Alive:
		return t + " " + aliveFields(m)
	case wire.Suspect:
		return fmt.Sprintf("%s %s inc=%d from=%s", t, m.Name, m.Inc, m.From)
	case wire.Dead:
		return fmt.Sprintf("%s %s inc=%d from=%s", t, m.Name, m.Inc, m.From)
	case wire.Left:
		return fmt.Sprintf("%s %s inc=%d", t, m.Name, m.Inc)
	case wire.Digest:
		return fmt.Sprintf("%s root=%016x count=%d", t, m.Root, m.Count)
	case wire.Buckets:
		return fmt.Sprintf("%s hashes=%d", t, len(m.Hashes))
	case wire.SyncReq:
		return fmt.Sprintf("%s buckets=%v", t, m.Buckets)
	case wire.Entry:
		s := fmt.Sprintf("%s %s inc=%d state=%s", t, m.Name, m.Inc, membership.State(m.State))
		if len(m.Meta) > 0 {
			s += fmt.Sprintf(" metaver=%d meta=%s", m.MetaVer, FormatMeta(m.Meta))
		}
		return s
	case wire.JoinReq:
		return t + " " + aliveFields(m.Self)
	case wire.JoinDone:
		return fmt.Sprintf("%s count=%d", t, m.Count)
	}
	return t
}

func aliveFields(a wire.Alive) string {
	s := fmt.Sprintf("%s inc=%d", a.Name, a.Inc)
	if len(a.Meta) > 0 {
		s += fmt.Sprintf(" metaver=%d meta=%s", a.MetaVer, FormatMeta(a.Meta))
	}
	return s
}

// FormatMeta renders metadata as k:v pairs in key order, comma-separated.
func FormatMeta(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + meta[k]
	}
	return strings.Join(parts, ",")
}

var (
	joinCauses = map[core.JoinCause]string{core.JoinRequested: "requested", core.JoinDiscovered: "discovered", core.JoinRejoin: "rejoin"}
	joinEnds   = map[core.JoinEnd]string{core.JoinPending: "pending", core.JoinAnswered: "answered",
		core.JoinUnanswered: "unanswered", core.JoinCancelled: "cancelled", core.JoinNotNeeded: "not-needed"}
)

// FormatJoin renders a join report: "join 1 requested seeds=(n0)
// answered=(n0) answered", addresses named by their hosts.
func (n *Net) FormatJoin(r core.JoinReport) string {
	s := fmt.Sprintf("join %d %s seeds=(%s) answered=(%s) %s", r.ID, joinCauses[r.Cause],
		n.addrNames(r.Seeds), n.addrNames(r.Answered), joinEnds[r.End])
	if r.Cause == core.JoinRejoin {
		s += fmt.Sprintf(" attempt=%d", r.Attempt)
	}
	return s
}

// addrNames names addresses by the hosts that have them.
func (n *Net) addrNames(addrs []netip.AddrPort) string {
	names := make([]string, len(addrs))
	for i, a := range addrs {
		if h := n.byAddr[a]; h != nil {
			names[i] = h.Name
		} else {
			names[i] = a.String()
		}
	}
	return strings.Join(names, ",")
}

// FormatMember renders a member as "name state inc=N [meta=...]".
func FormatMember(m membership.Member) string {
	s := fmt.Sprintf("%s %s inc=%d", m.Name, m.State, m.Incarnation)
	if len(m.Meta) > 0 {
		s += " meta=" + FormatMeta(m.Meta)
	}
	return s
}
