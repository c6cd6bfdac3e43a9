package kubernetes

// The few fields of Kubernetes API objects that discovery reads. Hand-written
// instead of client-go's types, which pull in most of Kubernetes; names and
// JSON keys follow k8s.io/api exactly.

type objectMeta struct {
	Name              string  `json:"name"`
	Namespace         string  `json:"namespace"`
	UID               string  `json:"uid"`
	ResourceVersion   string  `json:"resourceVersion"`
	DeletionTimestamp *string `json:"deletionTimestamp"`
}

type listMeta struct {
	ResourceVersion string `json:"resourceVersion"`
	Continue        string `json:"continue"`
}

// status is metav1.Status, the body of API errors and of watch ERROR events.
type status struct {
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
}

// discovery.k8s.io/v1 EndpointSlice.
type endpointSlice struct {
	Metadata    objectMeta      `json:"metadata"`
	AddressType string          `json:"addressType"` // IPv4, IPv6 or FQDN
	Endpoints   []sliceEndpoint `json:"endpoints"`
	Ports       []slicePort     `json:"ports"`
}

type sliceEndpoint struct {
	Addresses  []string           `json:"addresses"`
	Conditions endpointConditions `json:"conditions"`
	Hostname   string             `json:"hostname"`
}

// endpointConditions: nil means unknown, which consumers treat as ready
// (the API's documented rule).
type endpointConditions struct {
	Ready       *bool `json:"ready"`
	Serving     *bool `json:"serving"`
	Terminating *bool `json:"terminating"`
}

type slicePort struct {
	Name *string `json:"name"`
	Port *int32  `json:"port"`
}

// core/v1 Endpoints.
type endpoints struct {
	Metadata objectMeta       `json:"metadata"`
	Subsets  []endpointSubset `json:"subsets"`
}

type endpointSubset struct {
	Addresses         []endpointAddress `json:"addresses"`
	NotReadyAddresses []endpointAddress `json:"notReadyAddresses"`
	Ports             []endpointPort    `json:"ports"`
}

type endpointAddress struct {
	IP       string `json:"ip"`
	Hostname string `json:"hostname"`
}

type endpointPort struct {
	Name string `json:"name"`
	Port int32  `json:"port"`
}

// core/v1 Pod.
type pod struct {
	Metadata objectMeta `json:"metadata"`
	Spec     podSpec    `json:"spec"`
	Status   podStatus  `json:"status"`
}

type podSpec struct {
	Hostname   string      `json:"hostname"`
	Subdomain  string      `json:"subdomain"`
	Containers []container `json:"containers"`
}

type container struct {
	Ports []containerPort `json:"ports"`
}

type containerPort struct {
	Name          string `json:"name"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

type podStatus struct {
	Phase      string         `json:"phase"`
	PodIP      string         `json:"podIP"`
	Conditions []podCondition `json:"conditions"`
}

type podCondition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
}
