package daemon

import (
	"testing"

	"github.com/prec-dev/prec/lib/record"
)

func TestUnwritten(t *testing.T) {
	var u unwritten
	u.add(record.TypeStart, "t1", "write x: no space left on device")
	u.add(record.TypeEnd, "t2", "write x: read-only file system")
	u.add(record.TypeFail, "t3", "")
	u.add(record.TypeStart, "t4", "")
	if u.Starts != 2 || u.Ends != 1 || u.Fails != 1 || u.count() != 4 || u.From != "t1" || u.To != "t4" ||
		u.Reason != "write x: no space left on device" {
		t.Errorf("%+v", u)
	}
}
