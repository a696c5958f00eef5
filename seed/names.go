package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// The word lists below are the raw material of plausible people and
// companies: a mainland-China market with some international names, which
// matches the sales package's default currency (CNY) and lead sources
// (new media, SEM, channel partners).
var (
	givenNames = []string{
		"Wei", "Fang", "Lei", "Jing", "Min", "Yan", "Jun", "Li", "Hao", "Xin",
		"Ying", "Tao", "Ming", "Hui", "Qiang", "Na", "Yong", "Lin", "Bo", "Xiu",
		"Chen", "Yu", "Kai", "Rui", "Zhen", "Ning", "Peng", "Dan", "Hong", "Gang",
		"Anna", "David", "Emma", "James", "Lucas", "Maria", "Olivia", "Peter", "Sofia", "Thomas",
		"Grace", "Henry", "Irene", "Jack", "Kevin", "Laura", "Michael", "Nina", "Oscar", "Sarah",
	}
	familyNames = []string{
		"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
		"Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo",
		"Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng",
		"Smith", "Brown", "Garcia", "Müller", "Rossi", "Martin", "Tanaka", "Kim", "Nguyen", "Silva",
	}
	companyStems = []string{
		"Huaxin", "Tianhe", "Jinpeng", "Ruida", "Hengtai", "Zhongke", "Longsheng", "Baiyun", "Xinghai", "Dongfang",
		"Meidi", "Kangning", "Yuanhang", "Shengshi", "Haoyu", "Lianchuang", "Weilai", "Jiahe", "Taiping", "Fuxing",
		"Blue River", "Northstar", "Summit", "Harbor", "Redwood", "Silverline", "Apex", "Keystone", "Evergreen", "Meridian",
		"Orbit", "Pioneer", "Quantum", "Crescent", "Lumina", "Vertex", "Atlas", "Horizon", "Nimbus", "Sterling",
	}
	companyCores = map[string][]string{
		"technology":    {"Technology", "Software", "Digital", "Cloud", "Data", "Networks"},
		"manufacturing": {"Machinery", "Precision", "Industrial", "Materials", "Automation", "Electric"},
		"finance":       {"Capital", "Securities", "Leasing", "Insurance", "Payments", "Wealth"},
		"retail":        {"Retail", "Trading", "Foods", "Fashion", "Home", "Supply"},
		"healthcare":    {"Medical", "Pharma", "Health", "Biotech", "Clinics", "Diagnostics"},
		"education":     {"Education", "Learning", "Academy", "Training", "Schools", "EdTech"},
		"government":    {"Public Services", "Urban Planning", "Utilities", "Transport", "Water", "Energy"},
		"other":         {"Logistics", "Media", "Consulting", "Property", "Travel", "Agriculture"},
	}
	companySuffixes = []string{"Co., Ltd.", "Group", "Inc.", "Holdings", "Co., Ltd.", "Ltd."}
	cities          = map[string][]city{
		"north":    {{"Beijing", 39.904, 116.407}, {"Tianjin", 39.343, 117.361}, {"Shenyang", 41.805, 123.431}},
		"south":    {{"Guangzhou", 23.129, 113.264}, {"Shenzhen", 22.543, 114.057}, {"Xiamen", 24.479, 118.089}},
		"east":     {{"Shanghai", 31.230, 121.474}, {"Hangzhou", 30.274, 120.155}, {"Nanjing", 32.060, 118.796}},
		"west":     {{"Chengdu", 30.573, 104.066}, {"Chongqing", 29.563, 106.551}, {"Xi'an", 34.341, 108.940}},
		"central":  {{"Wuhan", 30.593, 114.305}, {"Changsha", 28.228, 112.939}, {"Zhengzhou", 34.747, 113.625}},
		"overseas": {{"Singapore", 1.352, 103.820}, {"Frankfurt", 50.110, 8.682}, {"Dubai", 25.205, 55.271}},
	}
	jobTitles = []string{"CEO", "CTO", "CIO", "Head of Sales", "Operations Director", "IT Manager",
		"Procurement Manager", "Marketing Director", "Finance Manager", "Project Manager", "Founder", "General Manager"}
)

type city struct {
	name     string
	lat, lng float64
}

type person struct{ given, family string }

func (p person) name() string { return p.given + " " + p.family }

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func newPerson(r *rand.Rand) person { return person{pick(r, givenNames), pick(r, familyNames)} }

type company struct {
	name, domain string
	city         city
	employees    int
}

// newCompany makes a company of an industry in a region. The space of
// names (40 stems x 6 cores x 8 industries, with a number for the bigger
// tenants) keeps repeats rare.
func newCompany(r *rand.Rand, industry, region string) company {
	stem := pick(r, companyStems)
	core := pick(r, companyCores[industry])
	c := pick(r, cities[region])
	name := stem + " " + core
	if r.IntN(3) == 0 {
		name = c.name + " " + name
	}
	domain := slug(stem) + "-" + slug(core)
	if r.IntN(2) == 0 { // a branch number keeps domains from colliding too often
		n := 1 + r.IntN(99)
		name += fmt.Sprintf(" No.%d", n)
		domain += fmt.Sprint(n)
	}
	name += " " + pick(r, companySuffixes)
	// Company size is heavy-tailed: most are small, a few are large.
	emp := int(10 * math.Pow(10, r.Float64()*3.3))
	return company{name: name, domain: domain + tld(region), city: c, employees: emp}
}

func tld(region string) string {
	if region == "overseas" {
		return ".com"
	}
	return ".cn"
}

func slug(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == ' ' || c == '-':
			b.WriteByte('-')
		case c == 'ü':
			b.WriteString("ue")
		}
	}
	return b.String()
}
