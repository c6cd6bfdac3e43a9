package multicast

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestListenNamesTheBadInterfaceAndGroup(t *testing.T) {
	_, err := Listen(Config{Interfaces: []string{"eth9"}, TTL: 1})
	const want = `multicast: join 230.1.1.251 on interface "eth9": no such interface`
	if err == nil || err.Error() != want {
		t.Fatalf("Listen on eth9: %v, want %q", err, want)
	}
	if !errors.Is(err, ErrNoInterface) {
		t.Fatalf("%v does not wrap ErrNoInterface", err)
	}
	var je *JoinError
	if !errors.As(err, &je) || je.Interface != "eth9" || je.Group.String() != "230.1.1.251" {
		t.Fatalf("JoinError = %+v", je)
	}

	_, err = Listen(Config{Interfaces: []string{"127.0.0.1", "192.0.2.254"}})
	if err == nil || !strings.Contains(err.Error(), `interface "192.0.2.254": no interface has address 192.0.2.254`) {
		t.Fatalf("Listen on an address no interface has: %v", err)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Config.Interfaces"},
		{Config{Group: "230.1.1.251", Interfaces: []string{"lo"}}, "Config.Group"},
		{Config{Group: "230.1.1.251:0", Interfaces: []string{"lo"}}, "Config.Group"},
		{Config{Group: "10.0.0.1:45892", Interfaces: []string{"lo"}}, "not a multicast address"},
		{Config{Group: "[ff12::1]:45892", Interfaces: []string{"lo"}, Broadcast: true}, "Config.Broadcast"},
		{Config{Interfaces: []string{"lo"}, TTL: 256}, "Config.TTL"},
		{Config{Interfaces: []string{"lo"}, TTL: -1}, "Config.TTL"},
		{Config{Interfaces: []string{"lo"}, Bind: "nowhere"}, "Config.Bind"},
		{Config{Interfaces: []string{"lo"}, Bind: "::"}, "Config.Bind"},
	}
	for _, c := range cases {
		if _, err := Listen(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Listen(%+v) = %v, want an error with %q", c.cfg, err, c.want)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig("eth1")
	if c.Group != DefaultGroup || c.TTL != 1 || !c.Loopback || len(c.Interfaces) != 1 || c.Interfaces[0] != "eth1" || c.Broadcast {
		t.Fatalf("DefaultConfig = %+v", c)
	}
}

// fakeHost is an interfaceSource with made-up interfaces.
type fakeHost struct {
	ifs   []net.Interface
	addrs map[string][]net.Addr
}

func (f fakeHost) Interfaces() ([]net.Interface, error) { return f.ifs, nil }
func (f fakeHost) Addrs(ifi *net.Interface) ([]net.Addr, error) {
	return f.addrs[ifi.Name], nil
}

func ipnet(s string) net.Addr {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return n
}

var host = fakeHost{
	ifs: []net.Interface{
		{Index: 1, Name: "lo", Flags: net.FlagUp | net.FlagLoopback}, // Linux: no MULTICAST flag
		{Index: 2, Name: "eth0", Flags: net.FlagUp | net.FlagMulticast | net.FlagBroadcast},
		{Index: 3, Name: "eth1", Flags: net.FlagMulticast | net.FlagBroadcast},
		{Index: 4, Name: "wg0", Flags: net.FlagUp | net.FlagPointToPoint},
		{Index: 5, Name: "v6only", Flags: net.FlagUp | net.FlagMulticast},
	},
	addrs: map[string][]net.Addr{
		"lo":     {ipnet("127.0.0.1/8"), ipnet("::1/128")},
		"eth0":   {ipnet("fd00::2/64"), ipnet("192.0.2.2/24"), ipnet("198.51.100.7/25")},
		"eth1":   {ipnet("10.1.0.1/16")},
		"wg0":    {ipnet("10.9.0.1/32")},
		"v6only": {ipnet("fd01::1/64")},
	},
}

func resolveCfg(t *testing.T, cfg Config) ([]iface, error) {
	t.Helper()
	p, err := cfg.parse()
	if err != nil {
		t.Fatalf("parse(%+v): %v", cfg, err)
	}
	return resolve(host, p)
}

func TestResolveRejectsUnusableInterfaces(t *testing.T) {
	cases := []struct {
		cfg  Config
		want error
	}{
		{Config{Interfaces: []string{"eth1"}}, ErrDown},
		{Config{Interfaces: []string{"wg0"}}, ErrNoMulticast},
		{Config{Interfaces: []string{"lo"}, Group: DefaultGroup6}, ErrLoopbackIPv6},
		{Config{Interfaces: []string{"::1"}, Group: DefaultGroup6}, ErrLoopbackIPv6},
		{Config{Interfaces: []string{"v6only"}, Broadcast: true}, ErrNoIPv4},
		{Config{Interfaces: []string{"wg0"}, Broadcast: true}, ErrNoIPv4}, // a /32 has no broadcast address
		{Config{Interfaces: []string{"eth7"}}, ErrNoInterface},
	}
	// IPv4 multicast over a loopback without the MULTICAST flag works.
	if _, err := resolveCfg(t, Config{Interfaces: []string{"lo"}}); err != nil {
		t.Errorf("IPv4 on lo: %v", err)
	}
	for _, c := range cases {
		_, err := resolveCfg(t, c.cfg)
		if !errors.Is(err, c.want) {
			t.Errorf("resolve(%v) = %v, want %v", c.cfg.Interfaces, err, c.want)
		}
		var je *JoinError
		if !errors.As(err, &je) || je.Interface != c.cfg.Interfaces[0] {
			t.Errorf("resolve(%v) = %v, want a JoinError naming the interface", c.cfg.Interfaces, err)
		}
	}
}

func TestResolveFindsSourceAndBroadcastAddresses(t *testing.T) {
	got, err := resolveCfg(t, Config{Interfaces: []string{"eth0", "192.0.2.2", "198.51.100.7", "lo"}, Broadcast: true})
	if err != nil {
		t.Fatal(err)
	}
	// eth0 named three times is used once, with its first IPv4 address.
	if len(got) != 2 || got[0].ifi.Name != "eth0" || got[1].ifi.Name != "lo" {
		t.Fatalf("resolved %+v", got)
	}
	if got[0].addr4.String() != "192.0.2.2" || got[0].bcast.String() != "192.0.2.255" {
		t.Fatalf("eth0: source %v broadcast %v", got[0].addr4, got[0].bcast)
	}
	if got[1].bcast.String() != "127.255.255.255" {
		t.Fatalf("lo broadcast %v", got[1].bcast)
	}
	// Named by its second address, the interface sends from that one.
	got, err = resolveCfg(t, Config{Interfaces: []string{"198.51.100.7"}, Broadcast: true})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].addr4.String() != "198.51.100.7" || got[0].bcast.String() != "198.51.100.127" {
		t.Fatalf("by second address: source %v broadcast %v", got[0].addr4, got[0].bcast)
	}
	got, err = resolveCfg(t, Config{Interfaces: []string{"fd01::1"}, Group: DefaultGroup6})
	if err != nil || got[0].ifi.Name != "v6only" {
		t.Fatalf("by IPv6 address: %+v %v", got, err)
	}
}
