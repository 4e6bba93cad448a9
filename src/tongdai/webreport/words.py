"""Words for receipt passphrases: everyday Vietnamese words written without diacritics,
so a child can read them aloud and type them on any phone keyboard (no Telex needed).
Words that are rude, frightening or sad without their accents are left out on purpose.
"""

WORDS = tuple(sorted(set("""
hoa la cay co sen mai dao lan hong tre truc thong bang phuong tung que chanh cam quyt
xoai oi na mit dua le tao nho man chuoi ngo khoai lua gao com banh keo che sua mat tra
tom cua oc ga vit ngan ngong chim sao trang troi may mua gio nang suong tuyet bien song
suoi nui dong ruong vuon nha san pho lang xom cau thuyen xe tau den nen sach vo but muc
giay thuoc ban ghe tu goi chan ao mu non khan tui hop binh ly coc chen bat dia thia noi
chao am chuong trong dan tho truyen tranh phim nhac bai chu xanh vang tim nau xam meo
huou nai voi ngua bo de cuu heo gau khi soc ong buom ech rua cong hac se yen vet cu ha
long phong hai nam bac tay xuan thu tet ngay sang chieu tuan thang vui xinh hien ngoan
gioi khoe nhanh cao thap to moi thom ngot lanh tuoi hat choi hoc doc viet ve chay bay
boi leo nhay cuoi ngam nghe nhin di kem mam rau bi ngoc kim minh an
canh diem hang khanh linh loan nhung phuc quang thanh thao thuy tien trinh uyen vinh hung
dung khoa tam hieu hanh duong
""".split())))

#: 4 words from this list: about 31 bits, with the 10-character code and the rate limit.
assert len(WORDS) >= 200, len(WORDS)
