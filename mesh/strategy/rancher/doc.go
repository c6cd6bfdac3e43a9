// Package rancher is the "rancher" discovery strategy: the containers of
// this container's own service, from the Rancher (1.x, Cattle) metadata
// API, as libcluster's Rancher strategy does.
//
// Every Interval (5 s by default) it asks
//
//	GET {BaseURL}/latest/self/service      Accept: application/json
//
// with BaseURL "http://rancher-metadata" by default, and reads this shape
// (other fields are ignored):
//
//	{
//	  "name": "meshd",
//	  "containers": [
//	    {"name": "meshd-1", "primary_ip": "10.42.1.5", "ips": ["10.42.1.5"], "state": "running"},
//	    {"name": "meshd-2", "primary_ip": "10.42.7.9", "state": "starting"}
//	  ]
//	}
//
// Each container gives one seed, its first "ips" entry (as libcluster) or
// else "primary_ip", with Port (7946 by default); a "/prefix" suffix is
// dropped and IPv6 works. Containers whose "state" is set to anything but
// running, starting or restarting (stopped, removed, error...) are skipped.
// Containers listed by name only (old metadata versions) carry no address
// and are skipped and reported.
//
// Unlike libcluster, whose failed request yielded an empty list and so
// disconnected every node, a failed request, a non-200 status, a body that
// is not this JSON or a list without a usable address keeps the last good
// list, retried with capped, jittered backoff and logged once a minute at
// most. Proxies from the environment are not used: the metadata service is
// local.
//
// As a one-line spec: "BASEURL[?port=7946&interval=5s&timeout=5s]".
// In YAML:
//
//	base_url: http://rancher-metadata
//	port: 7946
//	interval: 5s
//	timeout: 5s
package rancher
