// Package hostsfile is the "hostsfile" discovery strategy: seeds read from
// a file in the spirit of Erlang's .hosts.erlang, re-read when it changes.
//
// One host per line, as "host", "host:port" or "host:lo-hi" (IPv6 as
// "[addr]:port" or a bare address); blank lines are skipped; '#' starts a
// comment anywhere, '%' (Erlang's comment) at the start of a line or after
// whitespace. Erlang's own syntax, a quoted atom and a full stop, is
// accepted too, so an existing .hosts.erlang works as is:
//
//	# seeds of the eu cluster
//	10.0.0.5
//	10.0.0.6:7000-7002      # three nodes on one host
//	[2001:db8::7]:7946
//	'node8.example.com'.    % Erlang style
//
// The file is read every Interval (5 s by default; it is at most 1 MiB) and
// parsed again only when its content changed. Names are resolved on every
// poll. A malformed line is skipped, and counted and logged with its line
// number; a missing or unreadable file keeps the last good list, and so
// does an empty one (discovery feeds seeds; it never evicts).
//
// As a one-line spec: "PATH[?interval=5s&default_port=7946&resolver=ip:port]".
// In YAML:
//
//	path: /etc/meshd/hosts
//	default_port: 7946
//	interval: 5s
//	resolver: ""
package hostsfile
