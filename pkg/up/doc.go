// Package up runs the whole stack on a local kind cluster in one step
// (`authstack up`) and removes exactly what that step created (`authstack
// down`): the cluster from the rendered kind config, an nginx edge that
// honours the rendered Ingress auth annotations, dex with static test users
// and a demo app per identity mode. What up created is recorded in a state
// directory, so down deletes that and nothing else.
package up
