package meta

// AccessKey is an S3 credential and the POSIX identity it acts as.
type AccessKey struct {
	AccessKey string
	SecretKey string
	Uid, Gid  uint32
	Disabled  bool
	Root      bool
	Created   int64 // ns since the epoch
}

const accessKeyVersion = 1

func (a *AccessKey) encode() []byte {
	var e enc
	e.u8(accessKeyVersion)
	e.str(a.SecretKey)
	e.uv(uint64(a.Uid))
	e.uv(uint64(a.Gid))
	var flags uint64
	if a.Disabled {
		flags |= 1
	}
	if a.Root {
		flags |= 2
	}
	e.uv(flags)
	e.sv(a.Created)
	return e.b
}

func decodeAccessKey(id string, b []byte) (AccessKey, error) {
	d := dec{b: b}
	if d.u8() != accessKeyVersion {
		d.fail()
	}
	a := AccessKey{AccessKey: id, SecretKey: d.str(), Uid: d.u32(), Gid: d.u32()}
	flags := d.uv()
	a.Disabled, a.Root = flags&1 != 0, flags&2 != 0
	a.Created = d.sv()
	return a, d.done("access key")
}

// AccessKey reads a key record.
func (x *Txn) AccessKey(id string) (AccessKey, error) {
	v, err := x.get(append([]byte{pfxKey}, id...))
	if err != nil {
		return AccessKey{}, err
	}
	return decodeAccessKey(id, v)
}

// PutAccessKey writes a key record.
func (x *Txn) PutAccessKey(a *AccessKey) error {
	return x.set(append([]byte{pfxKey}, a.AccessKey...), a.encode())
}

// AccessKeys lists every key in access-key order.
func (x *Txn) AccessKeys() ([]AccessKey, error) {
	var out []AccessKey
	err := x.scan([]byte{pfxKey}, nil, false, func(k, v []byte) (bool, error) {
		a, err := decodeAccessKey(string(k[1:]), v)
		out = append(out, a)
		return err == nil, err
	})
	return out, err
}
