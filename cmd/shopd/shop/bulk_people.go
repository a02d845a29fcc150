package shop

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// bulkPerson is one customer of the bulk centre: buyers come back, so a
// name, e-mail address and phone number appear on several purchases.
type bulkPerson struct {
	name, email, phone string
}

// Names as a Norwegian centre's customers have them, so that searching the
// bulk data costs what searching a real centre's does: common surnames
// repeated (Hansen is on about one purchase in a hundred, as in the
// population), a long tail of farm names, Norwegian letters in first and
// last names, and e-mail addresses and phone numbers written in the many
// ways people type them. Ordered by how common they are.
var (
	bulkFirstNames = []string{
		"Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Bjørg",
		"Jan", "Per", "Bjørn", "Ole", "Lars", "Kjell", "Knut", "Arne", "Svein", "Hans",
		"Nora", "Emma", "Sofie", "Ida", "Maja", "Thea", "Ella", "Olivia", "Sara", "Ingvild",
		"Jakob", "Emil", "Noah", "Oliver", "Filip", "Aksel", "Magnus", "Henrik", "Andreas", "Sindre",
		"Åse", "Solveig", "Sigrid", "Tiril", "Kjersti", "Ragnhild", "Synnøve", "Åshild", "Gudrun", "Frøydis",
		"Øystein", "Håkon", "Jørgen", "Torbjørn", "Pål", "Ståle", "Ørjan", "Øyvind", "Kåre", "Bård",
		"Mohammed", "Ali", "Fatima", "Aisha", "Piotr", "Anna", "Tomasz", "Agnieszka", "Nguyen", "Mai",
		"Marius", "Even", "Vegard", "Eirik", "Geir", "Trond", "Rune", "Terje", "Morten", "Tor",
		"Maren", "Mari", "Line", "Hanne", "Silje", "Camilla", "Julie", "Marte", "Hege", "Randi",
		"Gøril", "Åsmund", "Snorre", "Torstein", "Bente", "Tone", "Siv", "Wenche", "Grete", "Lene",
	}
	bulkSurnames = []string{
		"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen", "Karlsen",
		"Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen", "Jacobsen", "Dahl",
		"Jørgensen", "Halvorsen", "Henriksen", "Lund", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen", "Strand",
		"Solberg", "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken", "Kristoffersen", "Mathisen", "Lie",
		"Amundsen", "Nguyen", "Rasmussen", "Ali", "Lunde", "Solheim", "Berge", "Moe", "Nygård", "Bakke",
		"Kristensen", "Fredriksen", "Holm", "Lien", "Hauge", "Christensen", "Andresen", "Nielsen", "Knudsen", "Evensen",
		"Sæther", "Aas", "Myhre", "Hanssen", "Ahmed", "Haugland", "Thomassen", "Sivertsen", "Simonsen", "Danielsen",
		"Berntsen", "Sandvik", "Rønning", "Arnesen", "Antonsen", "Næss", "Vik", "Haug", "Ellingsen", "Thorsen",
		"Edvardsen", "Birkeland", "Isaksen", "Gulbrandsen", "Ruud", "Aasen", "Strøm", "Myklebust", "Tangen", "Ødegård",
		"Eliassen", "Helland", "Bøe", "Jenssen", "Aune", "Mikkelsen", "Tveit", "Brekke", "Abrahamsen", "Madsen",
	}
	// Farm names, the long tail: a first part and an ending, most of them
	// held by a few families.
	bulkFarmStarts = []string{
		"Bjørn", "Grøn", "Haug", "Kvær", "Løv", "Mør", "Skår", "Bråt", "Fjær", "Hølaas", "Tønnes", "Vå",
		"Øde", "Ås", "Bø", "Nær", "Sæt", "Rød", "Stor", "Lille", "Nord", "Sør", "Øst", "Vest",
		"Fjell", "Li", "Myr", "Berg", "Dal", "Holm", "Sand", "Stein", "Å", "Ly", "Kleiv", "Tjørn",
	}
	bulkFarmEnds = []string{
		"stad", "dal", "land", "heim", "vik", "rud", "seth", "nes", "bø", "by", "ås", "li",
		"mark", "haug", "voll", "set", "gård", "bakken", "eng", "hol", "myr", "øy", "lien", "strand",
	}
	bulkMailHosts = []string{"gmail.com", "hotmail.com", "online.no", "outlook.com", "icloud.com", "yahoo.no", "live.no", "broadpark.no", "example.no"}
)

// bulkPeople makes the customers of a bulk centre of n purchases: about
// one customer per three purchases, so regulars come back.
func bulkPeople(r *rand.Rand, n int) []bulkPerson {
	people := make([]bulkPerson, max(n/3, 1))
	// The k-th name of a list about as likely as 1/(k+15), or 1/(k+12):
	// Anne about 3 % of the people, Hansen about 1 %.
	first := rand.NewZipf(r, 1.05, 15, uint64(len(bulkFirstNames)-1))
	sur := rand.NewZipf(r, 1.05, 12, uint64(len(bulkSurnames)-1))
	for i := range people {
		f := bulkFirstNames[first.Uint64()]
		if r.IntN(8) == 0 { // A second first name: Anne Marit, Per Øyvind.
			f += " " + bulkFirstNames[first.Uint64()]
		}
		var s string
		switch x := r.IntN(100); {
		case x < 27: // The hundred commonest surnames hold about a quarter of the people.
			s = bulkSurnames[sur.Uint64()]
		case x < 32: // Double-barrelled.
			s = bulkSurnames[r.IntN(len(bulkSurnames))] + " " + bulkFarmStarts[r.IntN(len(bulkFarmStarts))] + bulkFarmEnds[r.IntN(len(bulkFarmEnds))]
		default:
			s = bulkFarmStarts[r.IntN(len(bulkFarmStarts))] + bulkFarmEnds[r.IntN(len(bulkFarmEnds))]
		}
		people[i] = bulkPerson{name: f + " " + s, email: bulkEmail(r, f, s, i), phone: bulkPhone(r)}
	}
	return people
}

// bulkEmail makes an address of the shapes people have: first.last@,
// firstlast@, initials and a year, with Norwegian letters spelt in ASCII.
func bulkEmail(r *rand.Rand, first, last string, i int) string {
	f, l := asciiName(first), asciiName(last)
	f = strings.ReplaceAll(f, ".", "")
	l = strings.ReplaceAll(l, ".", "")
	var local string
	switch r.IntN(5) {
	case 0:
		local = f + "." + l
	case 1:
		local = f + l + fmt.Sprint(r.IntN(100))
	case 2:
		local = f[:1] + l[:min(len(l), 4)] + fmt.Sprint(1950+r.IntN(60))
	case 3:
		local = f + "_" + l
	default:
		local = f + "." + l + fmt.Sprint(i%1000)
	}
	return local + "@" + bulkMailHosts[r.IntN(len(bulkMailHosts))]
}

// bulkPhone makes a Norwegian mobile number (beginning 4 or 9) written one
// of the ways a web shop's form receives them, or none.
func bulkPhone(r *rand.Rand) string {
	d := fmt.Sprintf("%d%07d", []int{4, 9}[r.IntN(2)], r.IntN(1e7))
	switch r.IntN(6) {
	case 0:
		return d
	case 1:
		return "+47" + d
	case 2:
		return "+47 " + d[:3] + " " + d[3:5] + " " + d[5:]
	case 3:
		return d[:2] + " " + d[2:4] + " " + d[4:6] + " " + d[6:]
	case 4:
		return "0047 " + d
	}
	if r.IntN(4) == 0 {
		return ""
	}
	return "+47 " + d
}
