package pii

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// found is a span as a test states it: the kind and the text it covers.
type found struct {
	Kind Kind
	Text string
}

func foundIn(text string, spans []Span) []found {
	var out []found
	for _, sp := range spans {
		out = append(out, found{sp.Kind, text[sp.Start:sp.End]})
	}
	return out
}

// textCase is one text and everything ScanText must find in it.
type textCase struct {
	text string
	want []found
}

// none is a case in which nothing may be found.
func none(text string) textCase { return textCase{text: text} }

// one is a case in which exactly the text want, of kind k, is found.
func one(k Kind, text, want string) textCase {
	return textCase{text: text, want: []found{{k, want}}}
}

func runTextCases(t *testing.T, cases []textCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			got := foundIn(tc.text, ScanText(tc.text))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ScanText(%q) (-want +got):\n%s", tc.text, diff)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	t.Parallel()
	runTextCases(t, []textCase{
		one(Email, "Contact john.smith@acme-corp.de today", "john.smith@acme-corp.de"),
		one(Email, "From: Jane <jane_doe+cti@mail.co.uk>", "jane_doe+cti@mail.co.uk"),
		one(Email, "mailto:j.doe@corp.io", "j.doe@corp.io"),
		one(Email, "Write to JOHN.DOE@CORP.COM.", "JOHN.DOE@CORP.COM"),
		one(Email, `"rocke@live.cn" used to create the wallet`, "rocke@live.cn"),
		one(Email, "(bob-1972@sub.mail.xn--p1ai)", "bob-1972@sub.mail.xn--p1ai"),
		one(Email, "email=victim.name@bank.com&x=1", "victim.name@bank.com"),
		one(Email, "邮箱zhang.wei@163.com。", "zhang.wei@163.com"),
		one(Email, "a security engineer, mary.major@corp.com", "mary.major@corp.com"),
		// Role mailboxes are organizations', not persons'.
		none("Report to abuse@corp.com, security@corp.com, soc@corp.com, cert@cert.org"),
		none("noc@isp.net info@corp.com noreply@corp.com no-reply@corp.com do-not-reply@corp.com"),
		none("security-team@corp.com cert.report@corp.com PSIRT@vendor.com soc+alerts@corp.com"),
		none("postmaster@corp.com webmaster@corp.com support@vendor.com admin@domain.com git@github.com"),
		// Documentation domains reach no one.
		none("jdoe@example.com, j@mail.example.org, a@b.test, x@y.invalid, root@host.localhost"),
		// Not addresses.
		none("hxxp://google.com@1157586937"),
		none("http://user@evil.com/path and ftp://u:p@host.net"),
		none("admin@338 user@localhost name@domain a@b"),
		none("cid:image001.png@01D3B2C4.5F6A7B80"),
		none("john[@]corp[.]com shinycorp@tuta[.]com"),
		none("@rpath foo@@bar.com a@a@a.com"),
		none("user@192.168.1.1 jo..hn@corp.com .@corp.com john.@corp.com"),
		none("winrm/config/service@{EnableCompatibilityHttpsListener=\"true\"}"),
	})
}

func TestPhone(t *testing.T) {
	t.Parallel()
	runTextCases(t, []textCase{
		one(Phone, "Call +1 202-555-0143 now", "+1 202-555-0143"),
		one(Phone, "+1 (202) 555-0143", "+1 (202) 555-0143"),
		one(Phone, "Tel. +44 20 7946 0958.", "+44 20 7946 0958"),
		one(Phone, "+44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
		one(Phone, "tel:+442079460958", "+442079460958"),
		one(Phone, "Phone:+49 30 901820", "+49 30 901820"),
		one(Phone, "+33 1 42 68 53 00", "+33 1 42 68 53 00"),
		one(Phone, "+81 3-1234-5678", "+81 3-1234-5678"),
		one(Phone, "+61 2 9374 4000", "+61 2 9374 4000"),
		one(Phone, "+91 98765 43210", "+91 98765 43210"),
		one(Phone, "+7 495 123-45-67", "+7 495 123-45-67"),
		one(Phone, "+86 10 6552 9988", "+86 10 6552 9988"),
		one(Phone, "Rome +39 06 6982 1234", "+39 06 6982 1234"), // a leading zero that is dialled
		one(Phone, "+1-202-555-0143", "+1-202-555-0143"),
		one(Phone, "(202) 555-0143", "(202) 555-0143"),
		one(Phone, "call 202-555-0143.", "202-555-0143"),
		one(Phone, "202.555.0143", "202.555.0143"),
		one(Phone, "1-202-555-0143", "1-202-555-0143"),
		one(Phone, "+44 20 7946 0958 12 times", "+44 20 7946 0958"),
		// No country has these numbers.
		none("+1 555 123 4567 and 555-555-5555 and 123-456-7890"),
		none("+12345 +4000 2 +0 +1"),
		// Times, dates, offsets, addresses, versions and identifiers.
		none("2021-03-04T12:34:56+05:30 and 2021-03-04 12:34:56 +0000"),
		none("UTC+0800, GMT+10, +10 days"),
		none("10.0.0.1 192.168.100.200 2001:db8::1"),
		none("version 1.2.3456, 10.0.19041.1234, build 202.555.0143.1"),
		none("CVE-2021-44228 T1059.001 KB5005565 MS17-010"),
		none("0x2025550143 a202-555-0143 202-555-0143b id=202-555-0143-1"),
		none("+202555014312345678"),
		none("1-1-1-1-1-1-1-1-1-1-1"),
	})
}

func TestSSN(t *testing.T) {
	t.Parallel()
	runTextCases(t, []textCase{
		one(SSN, "SSN 123-45-6789", "123-45-6789"),
		one(SSN, "her number is 078-05-1120.", "078-05-1120"),
		one(SSN, "SSN: 123 45 6789", "123 45 6789"),
		one(SSN, "ssn#123456789", "123456789"),
		one(SSN, "Social Security Number 219099999", "219099999"),
		// Never issued: area 000, 666, 9xx; group 00; serial 0000.
		none("000-12-3456 666-12-3456 900-12-3456 999-12-3456"),
		none("123-00-4567 123-45-0000"),
		// Without dashes only after a keyword.
		none("order 123456789 shipped, ref 123 45 6789"),
		// Part of something larger.
		none("KB123-45-6789 123-45-67890 1123-45-6789 123-45-6789-1 x/123-45-6789"),
	})
}

func TestCard(t *testing.T) {
	t.Parallel()
	runTextCases(t, []textCase{
		one(Card, "card 4111 1111 1111 1111 exp 12/29", "4111 1111 1111 1111"),
		one(Card, "4111-1111-1111-1111", "4111-1111-1111-1111"),
		one(Card, "4111111111111111", "4111111111111111"),
		one(Card, "MC 5500 0000 0000 0004", "5500 0000 0000 0004"),
		one(Card, "Amex 3782 822463 10005", "3782 822463 10005"),
		one(Card, "6011111111111117", "6011111111111117"),
		one(Card, "JCB 3530111333300000", "3530111333300000"),
		one(Card, "Diners 30569309025904", "30569309025904"),
		one(Card, "2221000000000009", "2221000000000009"),
		one(Card, "4222222222222", "4222222222222"),
		one(Card, "4111 1111 1111 1111 2 times", "4111 1111 1111 1111"),
		// Luhn fails.
		none("4111 1111 1111 1112 and 5500000000000005"),
		// No issuer has these prefixes or lengths.
		none("1234 5678 9012 3456 0000 0000 0000 0000 9999999999999995"),
		none("41111111111111"), // Visa is 13, 16 or 19 digits
		// Part of something longer.
		none("41111111111111111111111 4111.1111.1111.1111 41111111-11111111"),
		none("dump: 4111 1111 1111 1111 ab12 and beef 4111 1111 1111 1111"),
		none("d41d8cd98f00b204e9800998ecf8427e 4111111111111111a x4111111111111111"),
		none("1609459200000000 20210304123456789"),
	})
}

func TestIBAN(t *testing.T) {
	t.Parallel()
	runTextCases(t, []textCase{
		one(IBAN, "IBAN DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00"),
		one(IBAN, "DE89370400440532013000.", "DE89370400440532013000"),
		one(IBAN, "GB82 WEST 1234 5698 7654 32 Bank", "GB82 WEST 1234 5698 7654 32"),
		one(IBAN, "FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 606"),
		one(IBAN, "NL91ABNA0417164300", "NL91ABNA0417164300"),
		one(IBAN, "(CH9300762011623852957)", "CH9300762011623852957"),
		one(IBAN, "NO9386011117947", "NO9386011117947"),
		// mod-97 fails.
		none("DE89 3704 0044 0532 0130 01 GB82WEST12345698765433"),
		// Wrong length, unknown country, lower case.
		none("DE89370400440532013 DE893704004405320130001 GB82WEST1234569876543"),
		none("XX89370400440532013000 de89370400440532013000"),
		none("DE89 3704 0044 0532 0130 00 1234"),
	})
}

func TestPassport(t *testing.T) {
	t.Parallel()
	runTextCases(t, []textCase{
		one(Passport, "Passport No. 123456789", "123456789"),
		one(Passport, "passport number: C01X00T47", "C01X00T47"),
		one(Passport, "PASSPORT #X1234567", "X1234567"),
		one(Passport, "passeport 12AB34567", "12AB34567"),
		one(Passport, "Reisepass-Nr. C01X00T47", "C01X00T47"),
		one(Passport, "passports: 987654321", "987654321"),
		none("passport 2019 and passport 1234567890"),
		none("Passport.js 1234567 Microsoft Passport SDK 123456"),
		none("123456789 is not a passport"),
		none("passport scanner ABC12345"),
		none("The passport. 123456789 was"),
		none("passport abcdefgh1 passport AB1234"),
		none("passportal 123456789"),
	})
}

func TestAddress(t *testing.T) {
	t.Parallel()
	runTextCases(t, []textCase{
		one(Address, "at 1600 Pennsylvania Avenue NW, Washington, DC 20500.", "1600 Pennsylvania Avenue NW, Washington, DC 20500"),
		one(Address, "221B Baker Street", "221B Baker Street"),
		one(Address, "350 Fifth Avenue", "350 Fifth Avenue"),
		one(Address, "1 Infinite Loop, Cupertino, CA 95014-2083", "1 Infinite Loop, Cupertino, CA 95014-2083"),
		one(Address, "742 Evergreen Terrace, Springfield, IL 62704", "742 Evergreen Terrace, Springfield, IL 62704"),
		one(Address, "123 N Main St, Suite 100", "123 N Main St, Suite 100"),
		one(Address, "10 Downing Street, London", "10 Downing Street"),
		one(Address, "4059 Mt Lee Dr", "4059 Mt Lee Dr"),
		one(Address, "350 W 42nd Street", "350 W 42nd Street"),
		one(Address, "Hauptstraße 12, 10115 Berlin", "Hauptstraße 12, 10115 Berlin"),
		one(Address, "Kieler Straße 5a", "Kieler Straße 5a"),
		one(Address, "Bahnhofstr. 7", "Bahnhofstr. 7"),
		none("Windows 10 Pro and Office 365 ProPlus"),
		none("3 Way Handshake, a 2 way street, 5 Main"),
		none("T1059 Command Line, version 2 Drive Mapper"),
		none("Registration 12, Administrator 5, the street 12"),
		none("in der Straße 5 Häuser"),
	})
}

func TestMixed(t *testing.T) {
	t.Parallel()
	text := "Victim: jane.roe@bank.de, +49 30 901820, IBAN DE89 3704 0044 0532 0130 00, " +
		"card 4111 1111 1111 1111, SSN 123-45-6789, Passport No. C01X00T47, 10 Downing Street."
	want := []found{
		{Email, "jane.roe@bank.de"},
		{Phone, "+49 30 901820"},
		{IBAN, "DE89 3704 0044 0532 0130 00"},
		{Card, "4111 1111 1111 1111"},
		{SSN, "123-45-6789"},
		{Passport, "C01X00T47"},
		{Address, "10 Downing Street"},
	}
	if diff := cmp.Diff(want, foundIn(text, ScanText(text))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCTINegatives holds text typical of threat intelligence, none of it
// personal data.
func TestCTINegatives(t *testing.T) {
	t.Parallel()
	runTextCases(t, []textCase{
		none("SHA-256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
		none("MD5 d41d8cd98f00b204e9800998ecf8427e SHA-1 da39a3ee5e6b4b0d3255bfef95601890afd80709"),
		none("C2 at 198.51.100.7:443 and 2001:db8:85a3::8a2e:370:7334"),
		none("first seen 2016-04-06T20:03:48.000Z, last seen 2024-01-31 23:59:59"),
		none("id indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f and {4111-1111-2222-3333-444455556666}"),
		none("CVE-2021-44228, CVE-2017-0144, T1059.001, T1566, S0002, G0016, TA0001"),
		none("Cobalt Strike 4.9.1, OpenSSL 1.1.1w, Windows 10 21H2 build 19044.1288"),
		none(`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\1234567890123456`),
		none(`C:\Users\Public\4111111111111111.exe /tmp/202-555-0143.sh`),
		none("port 4444, 8080 and 1337; PID 31337; 65535 bytes"),
		none("0x41 0x41 0x41 4111 1111 1111 1111 1111 1111 1111 1111"),
		none("wallet bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq and 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
		none("ASN 13335, AS15169; +1 more; 1,234,567,890 records"),
		none("sigma rule 5f1abf38-3f11-4f2b-9d4e-4e48e8d6f4c2, YARA $a = { 4D 5A 90 00 03 00 00 00 }"),
	})
}

func TestKindNames(t *testing.T) {
	t.Parallel()
	want := []string{"email", "phone", "ssn", "card", "iban", "passport", "address", "possible-pii"}
	var got []string
	for _, k := range Kinds() {
		got = append(got, k.String())
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Kind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("kind %v does not round-trip: %v, %v", k, back, err)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kind names (-want +got):\n%s", diff)
	}
	if _, err := ParseKind("name"); err == nil {
		t.Error("ParseKind accepted an unknown name")
	}
	if _, err := Kind(0).MarshalText(); err == nil {
		t.Error("the zero Kind marshals")
	}
}

func TestLuhnAndMod97(t *testing.T) {
	t.Parallel()
	digits := func(s string) []byte {
		b := []byte(s)
		for i := range b {
			b[i] -= '0'
		}
		return b
	}
	for _, tc := range []struct {
		num  string
		want bool
	}{{"79927398713", true}, {"79927398710", false}, {"4111111111111111", true}, {"0", true}, {"18", true}, {"17", false}} {
		if got := luhn(digits(tc.num)); got != tc.want {
			t.Errorf("luhn(%s) = %v, want %v", tc.num, got, tc.want)
		}
	}
	for _, tc := range []struct {
		iban string
		want bool
	}{{"GB82WEST12345698765432", true}, {"GB82WEST12345698765431", false}, {"BE68539007547034", true}, {"BE68539007547035", false}} {
		if got := mod97([]byte(tc.iban)); got != tc.want {
			t.Errorf("mod97(%s) = %v, want %v", tc.iban, got, tc.want)
		}
	}
}

// TestSpansInvariants checks, on assorted texts, that spans are sorted, do
// not overlap and lie inside the text.
func TestSpansInvariants(t *testing.T) {
	t.Parallel()
	texts := []string{
		strings.Repeat("4111 1111 1111 1111 ", 50),
		strings.Repeat("+1 202-555-0143 john@corp.com ", 30),
		"SSN 123-45-6789 123-45-6789 123-45-6789",
		"\xff\xfe john@corp.com \xc3 +44 20 7946 0958 \x80",
	}
	for _, text := range texts {
		checkSpans(t, text, ScanText(text))
	}
}

// checkSpans fails when spans are unsorted, overlap, lie outside text or
// have an invalid kind.
func checkSpans(t testing.TB, text string, spans []Span) {
	t.Helper()
	prev := 0
	for _, sp := range spans {
		if sp.Start < prev || sp.End <= sp.Start || sp.End > len(text) {
			t.Fatalf("bad span %+v after offset %d in a text of %d bytes", sp, prev, len(text))
		}
		if sp.Kind < Email || sp.Kind > PossiblePII {
			t.Fatalf("span %+v has an invalid kind", sp)
		}
		prev = sp.End
	}
}

func ExampleScanText() {
	text := "Contact jane.roe@bank.de or abuse@bank.de, +44 20 7946 0958."
	for _, sp := range ScanText(text) {
		fmt.Println(sp.Kind, text[sp.Start:sp.End])
	}
	// Output:
	// email jane.roe@bank.de
	// phone +44 20 7946 0958
}
