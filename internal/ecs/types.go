package ecs

// Wire types of the management API. JSON answers are unwrapped objects;
// XML answers carry a root element, which xml.Unmarshal does not check.

import (
	"crypto/sha256"
	"encoding/hex"

	"staas"
)

type loggedIn struct {
	User string `json:"user" xml:"user"`
}

type userEntry struct {
	UserID    string `json:"userid" xml:"userid"`
	Namespace string `json:"namespace" xml:"namespace"`
}

type userList struct {
	Users      []userEntry `json:"blobuser" xml:"blobuser"`
	NextMarker string      `json:"NextMarker" xml:"NextMarker"`
}

type tag struct {
	Name  string `json:"name" xml:"name"`
	Value string `json:"value" xml:"value"`
}

type userInfo struct {
	Name      string   `json:"name" xml:"name"`
	Namespace string   `json:"namespace" xml:"namespace"`
	Locked    flexBool `json:"locked" xml:"locked"`
	Created   string   `json:"created" xml:"created"`
	Tags      []tag    `json:"tag" xml:"tag"`
}

type lockInfo struct {
	User     string   `json:"user_name" xml:"user_name"`
	IsLocked flexBool `json:"isLocked" xml:"isLocked"`
}

type secretKeys struct {
	Key1       string   `json:"secret_key_1" xml:"secret_key_1"`
	Key1Exist  flexBool `json:"secret_key_1_exist" xml:"secret_key_1_exist"`
	Key1Time   string   `json:"key_timestamp_1" xml:"key_timestamp_1"`
	Key1Expiry string   `json:"key_expiry_timestamp_1" xml:"key_expiry_timestamp_1"`
	Key2       string   `json:"secret_key_2" xml:"secret_key_2"`
	Key2Exist  flexBool `json:"secret_key_2_exist" xml:"secret_key_2_exist"`
	Key2Time   string   `json:"key_timestamp_2" xml:"key_timestamp_2"`
	Key2Expiry string   `json:"key_expiry_timestamp_2" xml:"key_expiry_timestamp_2"`
	// The slots' secret_key_id (SHA-256), from ECS 4.x on.
	Key1ID string `json:"secret_key_1_id" xml:"secret_key_1_id"`
	Key2ID string `json:"secret_key_2_id" xml:"secret_key_2_id"`
}

// existing are the secrets of the slots that hold a key.
func (k *secretKeys) existing() []string {
	var out []string
	for _, p := range k.pairs("") {
		out = append(out, p.SecretAccessKey)
	}
	return out
}

// pairs are the slots that hold a key as key pairs of uid, each named by
// its secret_key_id, or where ECS (before 4.x) gives none, by keyID of
// its secret.
func (k *secretKeys) pairs(uid string) []staas.KeyPair {
	var out []staas.KeyPair
	add := func(secret, id string) {
		if id == "" && secret != "" {
			id = keyID(secret)
		}
		out = append(out, staas.KeyPair{AccessKeyID: uid, SecretAccessKey: secret, KeyID: id})
	}
	if bool(k.Key1Exist) || k.Key1 != "" {
		add(k.Key1, k.Key1ID)
	}
	if bool(k.Key2Exist) || k.Key2 != "" {
		add(k.Key2, k.Key2ID)
	}
	return out
}

// keyID names a secret key whose ECS gives no secret_key_id: the SHA-256
// of the secret in hex (assumed to be how 4.x makes its ids; staas only
// needs it to be stable and not the secret).
func keyID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

type newKey struct {
	SecretKeyID  string `json:"secret_key_id" xml:"secret_key_id"`
	SecretKey    string `json:"secret_key" xml:"secret_key"`
	KeyTimestamp string `json:"key_timestamp" xml:"key_timestamp"`
	KeyExpiry    string `json:"key_expiry_timestamp" xml:"key_expiry_timestamp"`
}

// pair is the new key as a key pair of uid.
func (k *newKey) pair(uid string) staas.KeyPair {
	id := k.SecretKeyID
	if id == "" {
		id = keyID(k.SecretKey)
	}
	return staas.KeyPair{AccessKeyID: uid, SecretAccessKey: k.SecretKey, KeyID: id}
}

type objectBucket struct {
	Name      string `json:"name" xml:"name"`
	ID        string `json:"id" xml:"id"`
	Owner     string `json:"owner" xml:"owner"`
	Namespace string `json:"namespace" xml:"namespace"`
	Created   string `json:"created" xml:"created"`
	Vpool     string `json:"vpool" xml:"vpool"`
}

type bucketList struct {
	Buckets    []objectBucket `json:"object_bucket" xml:"object_bucket"`
	NextMarker string         `json:"NextMarker" xml:"NextMarker"`
	Filter     string         `json:"Filter" xml:"Filter"`
}

type quotaDetails struct {
	BucketName       string  `json:"bucketname" xml:"bucketname"`
	Namespace        string  `json:"namespace" xml:"namespace"`
	BlockSize        flexInt `json:"blockSize" xml:"blockSize"`
	NotificationSize flexInt `json:"notificationSize" xml:"notificationSize"`
}

type namespaceEntry struct {
	Name string `json:"name" xml:"name"`
	ID   string `json:"id" xml:"id"`
}

type namespaceList struct {
	Namespaces []namespaceEntry `json:"namespace" xml:"namespace"`
	NextMarker string           `json:"NextMarker" xml:"NextMarker"`
}

type vpoolList struct {
	Vpools []struct {
		Name string `json:"name" xml:"name"`
		ID   string `json:"id" xml:"id"`
	} `json:"data_service_vpool" xml:"data_service_vpool"`
}
