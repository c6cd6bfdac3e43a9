// Package kubernetes is meshd's seed strategy for pods: it asks the
// Kubernetes API which pods of a Service (or a label selector) are ready and
// hands their gossip addresses to the mesh.
//
// # What it reads
//
// Mode endpointslices (the default) lists discovery.k8s.io/v1 EndpointSlices
// of Service (label kubernetes.io/service-name) and Selector; mode endpoints
// lists the core/v1 Endpoints object named Service (deprecated upstream since
// 1.33, kept for old clusters); mode pods lists Pods matching Selector and
// takes their primary pod IP. Only ready endpoints are seeds unless
// IncludeNotReady is set (a nil ready condition counts as ready, as the API
// says). Port is a number, used as is, or a port name looked up in the
// object: the EndpointSlice's or Endpoints subset's ports, or the pod's
// container ports. AddressType formats each seed as libcluster does:
//
//	ip        10.1.2.3:7946, [fd00::3]:7946
//	dns       10-1-2-3.NS.pod.cluster.local:7946, fd00--3.NS.pod.cluster.local:7946
//	hostname  meshd-0.meshd.NS.svc.cluster.local:7946 (StatefulSet pods)
//
// # How
//
// In a pod nothing needs configuring but Service (or Selector): the API
// server comes from KUBERNETES_SERVICE_HOST/PORT, the namespace from the
// mounted namespace file, the CA from the mounted ca.crt, and the bearer
// token from the mounted token file, which is read again on every request
// because bound ServiceAccount tokens rotate. APIServer overrides the server
// (for kubectl proxy, or out of cluster).
//
// Run lists (in pages of 500) and then watches from the list's resource
// version, so changes arrive within a second; a server or proxy that does not
// serve watches is detected and polled every PollInterval instead (Watch:
// false forces polling). The first list runs on Run's goroutine: start-up
// never waits for the API server.
//
// # Failures keep the last list
//
// A failed list or watch never shrinks the seeds: found is simply not called
// until a list succeeds again. libcluster's Kubernetes strategy instead
// disconnected every node on a 403; here a 401 or 403 logs one clear line
// naming the RBAC verb, resource and API group to grant (or the token file
// that was rejected), repeated at most once a minute while it lasts, and once
// more on recovery. An empty answer counts as a failure too: a Service whose
// pods are all restarting must not make the mesh forget its seeds.
//
// # RBAC
//
// The strategy needs exactly list and watch on what it reads, in its own
// namespace: endpointslices in apiGroup discovery.k8s.io (default),
// endpoints in the core group (mode endpoints) or pods in the core group
// (mode pods). deploy/kubernetes/ in the repository has a headless Service,
// a StatefulSet, the ServiceAccount and the Role; docs/kubernetes.md walks
// through it.
//
// # Configuration
//
// In meshd's YAML config:
//
//	strategies:
//	  - kind: kubernetes
//	    service: meshd
//	    port: gossip
//
// or as a one-line spec for flags and environment variables (see ParseSpec):
//
//	service=meshd,port=gossip,address_type=hostname
package kubernetes
