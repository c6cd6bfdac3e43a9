package wire

import "net/netip"

// Kind identifies a message inside a compound packet.
type Kind uint8

const (
	KindPing      Kind = 1  // direct probe
	KindAck       Kind = 2  // probe answered
	KindNack      Kind = 3  // helper could not reach the target (Lifeguard)
	KindPingReq   Kind = 4  // ask a helper to probe a target for us
	KindAlive     Kind = 5  // member is alive at this incarnation
	KindSuspect   Kind = 6  // member is suspected
	KindDead      Kind = 7  // member declared dead
	KindLeft      Kind = 8  // member left gracefully
	KindDigest    Kind = 9  // anti-entropy: root hash and count of the sender's table
	KindBuckets   Kind = 10 // anti-entropy: per-bucket hashes, when roots differ
	KindSyncReq   Kind = 11 // anti-entropy: send me your entries of these buckets
	KindEntry     Kind = 12 // one table entry, in state transfer (join, anti-entropy)
	KindJoinReq   Kind = 13 // a joining node asks for the full table
	KindJoinDone  Kind = 14 // last chunk of a state transfer
	KindNameProbe Kind = 15 // is the node at this address going by my name too?
	KindNameHeld  Kind = 16 // yes: answer to a NameProbe
	kindMax            = 16
)

// Msg is one protocol message.
type Msg interface{ Kind() Kind }

// Ping is a direct probe of Target (its name guards against a new owner of
// the address answering for the old one).
type Ping struct {
	Seq    uint32
	Target string
}

// Ack answers a Ping (or relays a helper's success).
type Ack struct{ Seq uint32 }

// Nack tells a requester that a helper got no answer from the target.
type Nack struct{ Seq uint32 }

// PingReq asks a helper to probe Target at TargetAddr and report with Seq.
type PingReq struct {
	Seq        uint32
	Target     string
	TargetAddr netip.AddrPort
}

// Alive announces a member alive at an incarnation, with its metadata.
type Alive struct {
	Name    string
	Addr    netip.AddrPort
	Inc     uint64
	MetaVer uint64
	Meta    map[string]string
}

// Suspect, Dead and Left carry a verdict about Name at Inc, by From.
type Suspect struct {
	Name string
	Inc  uint64
	From string
}

type Dead struct {
	Name string
	Inc  uint64
	From string
}

type Left struct {
	Name string
	Inc  uint64
}

// Digest is the anti-entropy opener: O(1) bytes whatever the table size.
type Digest struct {
	Root  uint64
	Count uint32
}

// Buckets carries the per-bucket hashes of the sender's table.
type Buckets struct{ Hashes []uint64 }

// SyncReq asks for the sender's... rather the receiver's entries of these buckets.
type SyncReq struct{ Buckets []uint16 }

// Entry is a full table entry in a state transfer.
type Entry struct {
	Name    string
	Addr    netip.AddrPort
	Inc     uint64
	State   uint8
	MetaVer uint64
	Meta    map[string]string
}

// JoinReq introduces a new member and asks for the full table.
type JoinReq struct{ Self Alive }

// JoinDone closes a state transfer; Count is the number of entries sent.
type JoinDone struct{ Count uint32 }

// NameClaim is what each side of a name check says about itself: it goes
// by Name at Addr, at incarnation Inc, and started at Started (Unix
// milliseconds), so that both sides can tell which one started later.
type NameClaim struct {
	Name    string
	Addr    netip.AddrPort
	Inc     uint64
	Started uint64
}

// NameProbe asks the node at the destination whether it goes by
// Claim.Name too: the sender heard its own name claimed at that address.
// Only a node of that name answers (NameHeld with the same Seq).
type NameProbe struct {
	Seq   uint32
	Claim NameClaim
}

// NameHeld answers a NameProbe: the sender goes by that name as well.
type NameHeld struct {
	Seq   uint32
	Claim NameClaim
}

func (NameProbe) Kind() Kind { return KindNameProbe }
func (NameHeld) Kind() Kind  { return KindNameHeld }

func (Ping) Kind() Kind     { return KindPing }
func (Ack) Kind() Kind      { return KindAck }
func (Nack) Kind() Kind     { return KindNack }
func (PingReq) Kind() Kind  { return KindPingReq }
func (Alive) Kind() Kind    { return KindAlive }
func (Suspect) Kind() Kind  { return KindSuspect }
func (Dead) Kind() Kind     { return KindDead }
func (Left) Kind() Kind     { return KindLeft }
func (Digest) Kind() Kind   { return KindDigest }
func (Buckets) Kind() Kind  { return KindBuckets }
func (SyncReq) Kind() Kind  { return KindSyncReq }
func (Entry) Kind() Kind    { return KindEntry }
func (JoinReq) Kind() Kind  { return KindJoinReq }
func (JoinDone) Kind() Kind { return KindJoinDone }
