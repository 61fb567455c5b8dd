package apiproxy

import (
	"bytes"
	"encoding/binary"
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// protobufContentType is Kubernetes' protobuf encoding, which kubectl (1.37
// and, through client-go's defaults for built-in types, most clients)
// sends for built-in objects.
const protobufContentType = "application/vnd.kubernetes.protobuf"

// protobufPrefix starts every protobuf-encoded object (k8s.io/apimachinery
// pkg/runtime/serializer/protobuf: protoEncodingPrefix), followed by a
// runtime.Unknown envelope with the type and the object's own encoding.
var protobufPrefix = []byte{0x6b, 0x38, 0x73, 0x00}

// protobufSummary is the JSON a records webhook gets for a protobuf request
// body: its apiVersion, kind and metadata. Decoding the rest would need the
// Go type of every built-in API (client-go's scheme, a third more binary),
// so the spec and data are left out. Every top-level built-in object keeps
// its ObjectMeta in field 1 (k8s.io/api generated.proto: `optional
// ObjectMeta metadata = 1`). nil when the body is not such an object or is
// a Secret.
func protobufSummary(body []byte) []byte {
	data, ok := bytes.CutPrefix(body, protobufPrefix)
	if !ok {
		return nil
	}
	var u runtime.Unknown
	if err := u.Unmarshal(data); err != nil || u.Kind == "" || u.Kind == "Secret" {
		return nil
	}
	out := struct {
		APIVersion string             `json:"apiVersion"`
		Kind       string             `json:"kind"`
		Metadata   *metav1.ObjectMeta `json:"metadata,omitempty"`
	}{APIVersion: u.APIVersion, Kind: u.Kind, Metadata: protobufMetadata(u.Raw)}
	b, err := json.Marshal(out)
	if err != nil {
		return nil
	}
	return b
}

// protobufMetadata decodes field 1 of a protobuf message as ObjectMeta,
// skipping the other fields by their wire type; nil if it is absent or the
// message is malformed.
func protobufMetadata(msg []byte) *metav1.ObjectMeta {
	for len(msg) > 0 {
		tag, n := binary.Uvarint(msg)
		if n <= 0 {
			return nil
		}
		msg = msg[n:]
		field, wire := tag>>3, tag&7
		var size uint64
		switch wire {
		case 0: // varint
			if _, n = binary.Uvarint(msg); n <= 0 {
				return nil
			}
			size = uint64(n)
		case 1: // 64-bit
			size = 8
		case 5: // 32-bit
			size = 4
		case 2: // length-delimited
			l, n := binary.Uvarint(msg)
			if n <= 0 || l > uint64(len(msg)-n) {
				return nil
			}
			if field == 1 {
				var m metav1.ObjectMeta
				if err := m.Unmarshal(msg[n : n+int(l)]); err != nil {
					return nil
				}
				return &m
			}
			msg = msg[n:]
			size = l
		default:
			return nil
		}
		if size > uint64(len(msg)) {
			return nil
		}
		msg = msg[size:]
	}
	return nil
}
