package seed

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Term is a word the seeded message bodies contain with a known, roughly
// fixed frequency, for timing searches of different selectivity.
type Term struct {
	// Word is what to search for.
	Word string
	// Share is the expected fraction of messages whose body contains it
	// (as a substring, which is what the API's search matches); the real
	// count varies with the random draw.
	Share float64
}

// SearchTerms returns words of very different frequency in seeded bodies,
// most frequent first; the last one never occurs.
func SearchTerms() []Term {
	return []Term{
		{Word: "order", Share: 0.27},
		{Word: "refund", Share: 0.027},
		{Word: "invoice", Share: 0.002},
		{Word: "warranty", Share: 0.0002},
		{Word: "zeppelin", Share: 0},
	}
}

// Sentences a customer writes, most frequent first (drawn with Zipf-like
// weights). Slots: {product}, {color}, {city}, {order}.
var customerSentences = []string{
	"Hi",
	"Hello, where is my order?",
	"Thanks a lot!",
	"ok",
	"Can you tell me when the delivery will arrive?",
	"👍",
	"I ordered a {product} last week and it has not arrived yet.",
	"My order number is {order}.",
	"Is the {product} available in {color}?",
	"Perfect, thank you",
	"Do you ship to {city}?",
	"Good morning",
	"Hello, is anyone there?",
	"Can I change the delivery address?",
	"What are your opening hours?",
	"How long does shipping take to {city}?",
	"I paid but did not get a confirmation email.",
	"The {product} is too small, can I exchange it for a bigger size?",
	"Is there a discount code for new customers?",
	"I would like to return the {product}.",
	"The package arrived damaged 😞",
	"Yes please",
	"No, that's all",
	"Can I pay on delivery?",
	"Do you have the {product} in stock?",
	"The tracking link does not work.",
	"I need help with my account",
	"Great, see you tomorrow",
	"The {product} I received is {color}, but I ordered another colour.",
	"Can I get a refund for the {product}?",
	"When will my refund be processed?",
	"How much is the {product}?",
	"Is it possible to pick it up in the store in {city}?",
	"I was charged twice for order {order}.",
	"Please cancel my order.",
	"Sorry, wrong number",
	"Could you call me back?",
	"It works now, thanks!",
}

// Sentences an agent writes, most frequent first. Slots as above, plus
// {name} (the customer's first name).
var agentSentences = []string{
	"Hi {name}, thanks for reaching out! Let me check that for you.",
	"You're welcome! Anything else I can help with?",
	"Your order {order} has been shipped and should arrive within 2-3 business days.",
	"Have a great day!",
	"Here is your tracking link: https://track.example.com/{order}",
	"Could you send me your order number, please?",
	"I'm sorry to hear that. Could you send us a photo of the package?",
	"The {product} is back in stock in {color}.",
	"We deliver to {city} within 3-5 days.",
	"Our opening hours are Monday to Friday, 9:00 to 18:00.",
	"I've updated the delivery address for order {order}.",
	"One moment please, I'm checking with our warehouse.",
	"Please use the code WELCOME10 for 10% off your first order.",
	"Yes, you can return it within 30 days, free of charge.",
	"I've cancelled the order; you will not be charged.",
	"Sure, I'll call you back within the hour.",
	"Your refund has been approved and will reach your account in 5-7 days.",
	"The {product} costs 49.90 EUR.",
	"You can pick it up in our store in {city} from tomorrow.",
	"Thank you for your patience 🙏",
}

// Rare sentences, appended to a body with their own probability, so that
// their words have a known, small frequency.
var rareSentences = []struct {
	text string
	p    float64
}{
	{"Could you send me the invoice for order {order}?", 0.0012},
	{"The invoice is attached to your confirmation email.", 0.0008},
	{"Is the {product} still under warranty?", 0.0002},
}

var products = []string{
	"blue jacket", "rain coat", "pair of sneakers", "leather wallet", "backpack", "coffee grinder",
	"desk lamp", "yoga mat", "wool sweater", "phone case", "water bottle", "travel mug",
	"winter boots", "linen shirt", "scarf", "headphones", "sunglasses", "garden chair",
}

var colors = []string{"black", "white", "navy", "red", "green", "grey", "beige", "yellow"}

var cities = []string{
	"Berlin", "Hamburg", "Munich", "London", "Manchester", "Madrid", "Barcelona", "São Paulo",
	"Rio de Janeiro", "Mumbai", "Bangalore", "New York", "Chicago", "Warsaw", "Kraków", "Vienna",
}

var firstNames = []string{
	"Anna", "Lukas", "Mia", "Jonas", "Emma", "Leon", "Sofia", "Finn", "Hannah", "Paul",
	"Olivia", "James", "Amelia", "Oliver", "Isla", "Harry", "Lucía", "Hugo", "Martina", "Pablo",
	"Ana", "João", "Maria", "Pedro", "Beatriz", "Gabriel", "Priya", "Arjun", "Ananya", "Rahul",
	"Emily", "Michael", "Jessica", "David", "Ashley", "Chris", "Zoë", "Łukasz", "Agnieszka", "Sven",
	"Fatima", "Mehmet", "Aylin", "Noah", "Lea", "Kenji", "Yuki", "Chloé", "Mateo", "Sara",
}

var lastNames = []string{
	"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Smith", "Jones", "Taylor", "Brown",
	"Williams", "García", "Fernández", "López", "Martínez", "Silva", "Santos", "Oliveira", "Souza",
	"Sharma", "Patel", "Singh", "Gupta", "Johnson", "Miller", "Davis", "Nowak", "Kowalski",
	"Wiśniewska", "Yılmaz", "Kaya", "Tanaka", "Sato", "Dubois", "Moreau", "Rossi", "Bianchi",
}

// countries are the customers' calling codes with the shape of their
// mobile numbers: a prefix and how many random digits follow it.
var countries = []struct {
	prefix string
	digits int
	weight float64
}{
	{"4915", 9, 0.30},  // Germany
	{"447", 9, 0.15},   // United Kingdom
	{"346", 8, 0.10},   // Spain
	{"55119", 8, 0.15}, // Brazil (São Paulo)
	{"919", 9, 0.15},   // India
	{"1", 10, 0.10},    // United States
	{"485", 8, 0.05},   // Poland
}

// zipf draws indices 0..n-1 with weights 1/(i+1)^s.
type zipf struct{ cum []float64 }

func newZipf(n int, s float64) zipf {
	cum := make([]float64, n)
	total := 0.0
	for i := range n {
		total += 1 / math.Pow(float64(i+1), s)
		cum[i] = total
	}
	for i := range cum {
		cum[i] /= total
	}
	return zipf{cum: cum}
}

func (z zipf) draw(r *rand.Rand) int {
	u := r.Float64()
	lo, hi := 0, len(z.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if z.cum[mid] < u {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// texter writes message bodies.
type texter struct {
	r         *rand.Rand
	customer  zipf
	agent     zipf
	sb        strings.Builder
	firstName string
}

func newTexter(r *rand.Rand) *texter {
	return &texter{r: r, customer: newZipf(len(customerSentences), 0.9), agent: newZipf(len(agentSentences), 0.8)}
}

// body returns a message body of one to three sentences, in the voice of
// the customer (inbound) or an agent, addressed to firstName.
func (t *texter) body(inbound bool, firstName string) string {
	t.sb.Reset()
	t.firstName = firstName
	n := 1
	switch u := t.r.Float64(); {
	case u < 0.05:
		n = 3
	case u < 0.30:
		n = 2
	}
	for i := range n {
		if i > 0 {
			t.sb.WriteByte(' ')
		}
		if inbound {
			t.fill(customerSentences[t.customer.draw(t.r)])
		} else {
			t.fill(agentSentences[t.agent.draw(t.r)])
		}
	}
	for _, s := range rareSentences {
		if t.r.Float64() < s.p {
			t.sb.WriteByte(' ')
			t.fill(s.text)
		}
	}
	return t.sb.String()
}

func (t *texter) fill(s string) {
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			t.sb.WriteString(s)
			return
		}
		j := strings.IndexByte(s[i:], '}')
		t.sb.WriteString(s[:i])
		switch s[i+1 : i+j] {
		case "product":
			t.sb.WriteString(products[t.r.IntN(len(products))])
		case "color":
			t.sb.WriteString(colors[t.r.IntN(len(colors))])
		case "city":
			t.sb.WriteString(cities[t.r.IntN(len(cities))])
		case "order":
			t.sb.WriteString(strconv.Itoa(100000 + t.r.IntN(900000)))
		case "name":
			if t.firstName != "" {
				t.sb.WriteString(t.firstName)
			} else {
				t.sb.WriteString("there")
			}
		}
		s = s[i+j+1:]
	}
}

// profileName returns a customer's WhatsApp profile name: mostly "First
// Last", sometimes only a first name, a name with an emoji, or nothing.
func profileName(r *rand.Rand) (name, first string) {
	first = firstNames[r.IntN(len(firstNames))]
	switch u := r.Float64(); {
	case u < 0.02:
		return "", ""
	case u < 0.15:
		return first, first
	case u < 0.20:
		return first + " " + []string{"🌸", "⚽", "✨", "🙂", "🚀"}[r.IntN(5)], first
	default:
		return first + " " + lastNames[r.IntN(len(lastNames))], first
	}
}

// waID returns a random mobile number in international format.
func waID(r *rand.Rand) string {
	u := r.Float64()
	c := countries[len(countries)-1]
	for _, cc := range countries {
		if u < cc.weight {
			c = cc
			break
		}
		u -= cc.weight
	}
	b := make([]byte, 0, len(c.prefix)+c.digits)
	b = append(b, c.prefix...)
	for i := range c.digits {
		d := byte(r.IntN(10))
		if i == 0 && c.prefix == "1" {
			d = 2 + byte(r.IntN(8)) // US area codes do not start with 0 or 1
		}
		b = append(b, '0'+d)
	}
	return string(b)
}

// appendJSONString appends s as a JSON string. Only what JSON requires is
// escaped; everything else (UTF-8 included) is copied.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
