// biome-ignore-all format: word lists stay packed several to a line, as a reader scans them
/**
 * Word lists for the intent parser (src/conversation/intent.ts).
 *
 * Every entry is written in proper Vietnamese (with diacritics). The parser matches a typed word
 * against an entry when the letters agree and the marks the member typed are a subset of the
 * entry's marks: "co" matches "có" (and "cô"), "mặt" matches "mặt" but "mất" does not, "vang"
 * matches both "vắng" and "vâng", "huỷ" matches "hủy" (old and new tone placement). So a list
 * entry covers the text typed with or without diacritics, while text typed WITH diacritics is never
 * confused with a different word that merely folds to the same letters.
 *
 * Entries with a space are compounds: the parser merges them into one word before applying the
 * rules, which also stops a rule seeing the parts ("đề nghị" is not "nghỉ", "ban đêm" is not
 * "bận", "không chắc" is a hedge and not a negation).
 */

/** Phone abbreviations, keyed by the folded token typed without diacritics (đ allowed). */
export const ABBREVIATIONS: Readonly<Record<string, string>> = {
  k: "không", ko: "không", kg: "không", kh: "không", khg: "không", hk: "không", hok: "không",
  hong: "không", khum: "không", hem: "không", hum: "không", khog: "không", kp: "không phải",
  dc: "được", dk: "được", dduoc: "được", dcj: "được",
  cm: "có mặt", comat: "có mặt", hdsd: "hướng dẫn sử dụng", hd: "hướng dẫn",
  vs: "với", ntn: "như thế nào", j: "gì", r: "rồi", rui: "rồi", roai: "rồi", roy: "rồi",
  e: "em", t: "tôi", mk: "mình", mik: "mình", mh: "mình", tui: "tôi",
  bh: "bao giờ", bgio: "bao giờ", hnay: "hôm nay", hn: "hôm nay", hqua: "hôm qua",
  kb: "không biết", kbt: "không biết", bit: "biết", bik: "biết", bjk: "biết",
  cx: "cũng", cg: "cũng", thui: "thôi", lun: "luôn", c: "chị", ck: "chồng", vk: "vợ", ng: "người", ah: "ạ", aj: "ạ", ak: "ạ",
  oke: "ok", okie: "ok", oki: "ok", okay: "ok", okela: "ok", oce: "ok", okla: "ok", okey: "ok",
  uh: "ừ", uk: "ừ", u: "ừ", um: "ừ", uhm: "ừ", uki: "ừ", ukm: "ừ",
  "i'll": "i will", "i'm": "i am", "i've": "i have", "i'd": "i would",
  "can't": "cannot", cant: "cannot", "couldn't": "cannot", "won't": "won't", wont: "won't",
  "don't": "don't", dont: "don't", "isn't": "not", "aren't": "not",
};

/** Abbreviations typed with diacritics (lower-case, NFC). */
export const RAW_ALIASES: Readonly<Record<string, string>> = {
  kô: "không", khôg: "không", hông: "không", hổng: "không",
  bít: "biết", rùi: "rồi", ừm: "ừ", ừa: "ừ", ờm: "ờ", đk: "được", đc: "được", ạh: "ạ",
};

// ---------------------------------------------------------------------------------------------
// Fillers: words that do not change what a short reply means.

export const PRONOUNS = [
  "em", "tôi", "mình", "cháu", "tớ", "bác", "anh", "chị", "cô", "chú", "ông", "bà", "bạn",
  "chúng tôi", "chúng em", "bọn em", "anh chị", "các anh chị", "i", "we", "me", "ad", "admin",
];

export const PARTICLES = [
  "ạ", "à", "á", "a", "nhé", "nha", "nhá", "nhen", "nghen", "ha", "hen", "ơi", "nè", "vậy",
  "nhỉ", "đây", "đấy", "thưa", "dạ", "vâng", "luôn", "rồi", "thì", "là", "mà", "cũng", "sẽ",
  "đã", "vẫn", "xin", "cho", "ok", "báo cáo", "kính báo", "chắc", "chắc là", "hôm", "the", "to",
  "is", "am", "will", "just", "pls", "please", "haha",
];

/** Time expressions that only say "this meeting" / "today". */
export const TIME_WORDS = [
  "hôm nay", "hôm qua", "ngày mai", "mai", "tối nay", "sáng nay", "chiều nay", "trưa nay",
  "sáng mai", "chiều mai", "tối mai", "hôm đó", "hôm ấy", "buổi này", "buổi đó", "buổi ấy",
  "lần này", "tuần này", "tháng này", "bữa nay", "bữa đó", "kỳ này", "đợt này", "dịp này",
  "lúc đó", "khi đó", "nay", "today", "tomorrow", "tonight", "tuần sau", "tuần tới", "buổi tới",
  "buổi sau", "lần tới", "lần sau", "kỳ tới", "kỳ sau", "tháng sau", "tháng tới", "sắp tới",
  "cuối tuần", "chủ nhật", "thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy",
  "next week", "this week",
];

/** Greetings, thanks and apologies: a clause made only of these carries no reason. */
export const POLITE = [
  "cảm ơn", "cám ơn", "xin lỗi", "thông cảm", "mong", "kính gửi", "chi hội", "mọi người",
  "đồng chí", "các đồng chí", "rất", "nhiều", "thanks", "thank", "you", "sorry", "xin chào",
  "chào", "hello", "hi", "alo", "bye", "tạm biệt",
];

/**
 * Emoji members send to say yes / "có mặt" (skin tones and U+FE0F are ignored): thumbs up, check
 * marks, OK hand, raised hands, folded hands, handshake, salute, flexed arm, clapping, "OK" box.
 */
export const EMOJI_YES = [
  "👍", "✅", "✔️", "☑️", "🆗", "👌", "✋", "🙋", "🖐", "🤚", "🙌", "🙏", "🤝", "🫡", "💪", "👏", "✌️",
  "🤙", "👊", "💯", "🫶",
];
/** Emoji that say no / "vắng". */
export const EMOJI_NO = ["👎", "❌", "✖️", "❎", "🚫", "🙅", "⛔"];

export const GREETINGS = ["xin chào", "chào", "hello", "hi", "alo", "hey", "chào bạn"];
export const THANKS = ["cảm ơn", "cám ơn", "thanks", "thank", "you"];

// ---------------------------------------------------------------------------------------------
// Attendance.

/** Negators. "không chắc"/"không biết" are compounds (hedges), so they never reach this list. */
export const NEGATORS = [
  "không", "chưa", "chẳng", "chả", "không thể", "chưa thể", "không được", "not", "cannot",
  "won't", "don't", "unable", "never",
];

/** Presence verbs that mean attending whatever follows ("có mặt ở hội trường"). */
export const PRESENCE_FREE = [
  "có mặt", "tham dự", "hiện diện", "be there", "attend", "attending", "come", "coming", "join",
  "joining", "make it", "present", "see you", "count me in", "i am in", "will be there",
];

/**
 * Presence verbs that mean attending only when followed by nothing, a particle, a time or a
 * meeting word: "em đi nhé", "đến dự", "tham gia đầy đủ" — but not "đi làm", "đến bệnh viện",
 * "tham gia bảo hiểm".
 */
export const PRESENCE_CONSTRAINED = [
  "tham gia", "dự", "đến", "tới", "đi", "đi họp", "đi dự", "kịp về", "kịp đến", "kịp tới", "kịp đi",
];

/** "về" is a presence verb only before these ("không về kịp", "về họp"). */
export const RETURN_CONTINUATIONS = ["kịp", "họp", "dự", "sinh hoạt", "tham dự", "được", "nổi"];

export const PRESENCE_CONTINUATIONS = [
  "được", "kịp", "nổi", "họp", "cuộc họp", "buổi họp", "sinh hoạt", "buổi sinh hoạt", "buổi",
  "hội nghị", "đại hội", "đầy đủ", "đúng giờ", "sớm", "muộn", "trễ", "chậm", "cùng", "với",
  "luôn", "ngay", "liền", "đâu", "chứ", "rồi", "lúc", "dự", "tham dự", "nhưng", "ạ", "bình thường",
  "nhé", "nha", "nhá", "nhen", "a", "ha", "hen", "nè", "đó", "không", "giờ", "phút", "sáng",
  "chiều", "tối", "there", "it", "the", "meeting", "today", "tomorrow", "tonight", "on", "in",
  "at",
];

/** Words saying the member will be absent. */
export const ABSENCE_WORDS = [
  "vắng", "vắng mặt", "nghỉ", "nghỉ phép", "báo vắng", "đi vắng", "cáo vắng", "absent", "skip",
  "miss",
];

/** "xin phép" alone means "please excuse me (from the meeting)"… */
export const ASK_LEAVE = ["xin phép", "cho phép"];
/** …unless it introduces something else the member wants to do. */
export const COMMUNICATION_VERBS = [
  "hỏi", "cho hỏi", "hỏi thăm", "góp ý", "ý kiến", "phản ánh", "kiến nghị", "đề xuất",
  "đề nghị", "trình bày", "gửi", "báo cáo", "nói", "chia sẻ", "thông báo", "phát biểu", "nhắc",
];

/** Lateness: still attending. */
export const LATE_WORDS = ["muộn", "trễ", "chậm", "về sớm", "late"];
/** What may follow "muộn"/"trễ" (so that "muon" without diacritics is not "muốn", to want). */
export const LATE_CONTINUATIONS = [
  "phút", "chút", "xíu", "tí", "một chút", "một xíu", "một tí", "giờ", "tiếng", "ạ", "nhé",
  "nha", "a", "ha", "nè", "được",
];

/** Hedges: the member has not decided. */
export const HEDGES = [
  "chưa chắc", "không chắc", "chưa chắc chắn", "không chắc chắn", "chưa biết", "không biết", "có lẽ", "chưa rõ", "không rõ",
  "xem lại", "xem đã", "xem sao", "xem thế nào", "báo sau", "báo lại", "báo lại sau", "tính sau",
  "cố gắng", "hy vọng", "hi vọng", "phân vân", "tùy", "tùy vào", "còn tùy", "phụ thuộc", "nếu", "biết đâu", "chưa quyết định",
  "chưa sắp xếp", "sắp xếp xem", "cố sắp xếp", "cố thu xếp", "chưa dám chắc", "chưa hứa", "maybe", "perhaps", "might",
  "not sure", "unsure", "possibly", "don't know", "will see", "probably", "mới biết", "mới biết được",
];
/** "có thể" is a hedge ("có thể không đi được") unless it is followed by a presence verb. */
export const MAYBE = ["có thể"];
/** "để (tôi) xem / sắp xếp / tính" — let me see. */
export const LET_ME = ["để"];
export const LET_ME_VERBS = [
  "xem", "coi", "sắp xếp", "tính", "hỏi", "xem lại", "xem đã", "xem sao", "trả lời", "báo", "báo lại",
  "hỏi lại", "coi lại", "suy nghĩ", "thu xếp",
];

/** Circumstances that imply absence when the member answers a reminder with only them. */
export const CIRCUMSTANCES = [
  "bận", "ốm", "bị ốm", "bệnh", "mệt", "đi viện", "nằm viện", "ở viện", "công tác",
  "đi công tác", "ở quê", "về quê", "đi xa", "có việc", "việc riêng", "việc gia đình",
  "việc nhà", "việc bận", "đám cưới", "đám giỗ", "đám tang", "đám ma", "trực", "tăng ca",
  "đi làm", "đi khám", "bị bệnh", "ở xa", "đi học", "đi thi", "ôn thi", "đi trực", "đi làm ca", "sick",
  "busy", "out of town", "away",
];
export const BUSY = ["bận", "busy"];

/** Words that introduce the reason of an absence. */
export const REASON_CONNECTORS = [
  "vì", "bởi vì", "bởi", "tại vì", "lý do", "lí do", "vì lý do", "vì lí do", "do", "tại",
  "because", "because of", "due to",
];

/**
 * Words that ask the association for something: a message with one of them is never only an
 * attendance answer ("em đến được, đề nghị chi hội…").
 */
export const REQUEST_WORDS = [
  "đề nghị", "kiến nghị", "phản ánh", "đề xuất", "góp ý", "khiếu nại", "thắc mắc", "cho hỏi",
  "xin hỏi", "hỏi", "yêu cầu", "nhờ", "trình bày", "tố cáo", "request", "suggest", "complain",
  "giúp đỡ", "hỗ trợ", "mong hội", "xin hội", "cứu trợ",
];

/** Habits, not this meeting: "ít đi sinh hoạt", "hay đến muộn", "thường vắng". */
export const HABITUAL = ["ít", "hay", "thường", "thường xuyên", "ít khi", "chưa bao giờ", "không bao giờ", "lâu nay"];

/** Other words that short answers are made of ("I can come", "em đến được ngay", "cả nhà em đi"). */
export const ANSWER_EXTRA = [
  "can", "be", "able", "there", "will", "be able to", "i", "và", "với", "cùng", "chắc chắn",
  "đông đủ", "đúng hẹn", "sẵn sàng", "nhất định", "vẫn", "đầy đủ", "ngay", "liền", "nữa",
  "lắm", "quá", "đang", "yet", "sure", "still", "not", "bị", "con", "các con", "vợ", "chồng",
  "vợ chồng", "cả", "cả nhà", "hai", "đăng ký", "xác nhận", "cả hai", "trước", "sau", "khoảng",
  "nhắc", "đã nhắc", "tin nhắn", "tin", "lịch", "thông báo", "nhận lịch", "có gì", "nếu có gì",
];

/** Hedges whose clause is a condition ("nếu rảnh", "tùy sức khỏe"): its words are explained. */
export const CONDITIONS = ["nếu", "tùy", "tùy vào", "còn tùy", "phụ thuộc", "hy vọng", "hi vọng", "để"];

/** A reminder answered with only these ("ko đc ạ", "không kịp", "chịu") is an absence. */
export const CANNOT = ["không được", "không kịp", "không tiện", "chịu", "bó tay", "cannot"];

/** Words that end a clause (negation and cues do not reach across them). */
export const CLAUSE_BREAKS = ["nhưng", "nhưng mà", "but", "nên", "cho nên"];

/** Words after the absence phrase that are not a reason: "xin nghỉ buổi này", "vắng buổi họp tối nay". */
export const MEETING_WORDS = [
  "họp", "cuộc họp", "buổi họp", "sinh hoạt", "buổi sinh hoạt", "hội nghị", "đại hội",
  "giao ban", "buổi", "lần", "meeting", "chi hội", "chi đoàn", "hội", "được", "nhé", "ạ", "mặt",
  "này", "đó", "ấy", "kỳ này", "lần này",
];

// ---------------------------------------------------------------------------------------------
// Questions.

export const QUESTION_WORDS = [
  "khi nào", "bao giờ", "mấy giờ", "lúc nào", "hôm nào", "ngày nào", "thứ mấy", "ở đâu",
  "chỗ nào", "thế nào", "như thế nào", "ra sao", "tại sao", "vì sao", "sao", "bao nhiêu", "gì",
  "ai", "hả", "hở", "when", "where", "what", "why", "how", "who",
];
/** Sentence-final words that turn a statement into a yes/no question: "mai có họp không". */
export const QUESTION_FINALS = ["không", "chưa", "chứ"];

// ---------------------------------------------------------------------------------------------
// Other intents.

export const READ_PHRASES = [
  "đọc", "đã đọc", "đọc rồi", "đọc xong", "vừa đọc", "đã xem", "xem rồi", "xem xong", "đã nhận",
  "nhận rồi", "nhận được", "nhận được rồi", "nắm được", "đã nắm", "nắm rồi", "đã rõ", "rõ rồi", "đã nắm được",
  "đã đọc xong", "đã nghiên cứu", "nghiên cứu rồi", "đã tiếp thu", "tiếp thu rồi", "đã tiếp nhận",
  "read", "have read", "seen", "noted", "got it", "received",
];
export const READ_ALLOWED = [
  "cảm ơn", "cám ơn", "và", "sẽ", "thực hiện", "nắm", "rõ", "hiểu", "được", "xong", "hết", "kỹ",
  "chấp hành", "triển khai", "thông báo", "văn bản", "tài liệu", "chỉ thị", "nghị quyết",
  "đầy đủ", "nội dung", "tin nhắn", "tin", "rất", "nhiều", "đồng chí", "thanks", "and", "it",
  "tới", "đến", "hội viên", "các hội viên", "bà con", "phổ biến", "truyền đạt", "làm theo", "kỹ càng",
  "kĩ", "ngay", "luôn", "hết rồi", "cả", "này", "đó", "ban chấp hành", "ban thường vụ", "quán triệt",
  "tiếp thu", "nghiên cứu", "tham gia", "chi hội",
];

export const MEETING_NOUNS = [
  "họp", "cuộc họp", "buổi họp", "sinh hoạt", "buổi sinh hoạt", "hội nghị", "đại hội",
  "giao ban", "meeting",
];
export const SCHEDULE_WORDS = ["lịch", "lịch họp", "lịch sinh hoạt", "lịch trình", "schedule"];
export const WHEN_WHERE = [
  "khi nào", "bao giờ", "mấy giờ", "lúc nào", "hôm nào", "ngày nào", "thứ mấy", "ở đâu",
  "chỗ nào", "đâu", "địa điểm", "thời gian", "giờ nào", "when", "where", "time", "what time",
];
export const SCHEDULE_ALLOWED = [
  "có", "không", "chưa", "xem", "biết", "hỏi", "cho hỏi", "muốn", "gửi", "tháng", "tuần", "năm",
  "thứ", "sắp", "tới", "sau", "tiếp theo", "kỳ", "kỳ tới", "chi hội", "chi đoàn", "hội", "đoàn",
  "tổ", "nào", "mấy", "giờ", "ngày", "buổi", "lần", "tổ chức", "diễn ra", "bắt đầu", "ở", "tại",
  "the", "next", "is", "what", "của", "này", "nữa", "lại", "ạ", "gì", "lúc",
];

export const HELP_WORDS = [
  "hướng dẫn", "trợ giúp", "giúp", "giúp đỡ", "giúp với", "help", "menu", "hỗ trợ", "cứu",
  "hướng dẫn sử dụng", "cách dùng", "cách sử dụng", "instructions", "chỉ giúp", "chỉ dẫn",
  "chỉ cách", "chỉ với", "chỉ em", "chỉ tôi", "chỉ cháu", "chỉ mình", "chỉ bác", "chỉ giùm", "giùm",
  "chỉ hộ", "hướng dẫn giúp", "hướng dẫn giùm", "cứu với", "phải làm gì", "làm gì đây", "giờ làm sao",
];
/**
 * "làm sao để dùng", "không biết bấm vào đâu", "trả lời thế nào": a request for help when a
 * how-word (or "I don't know / understand") and a word for using the bot are both there and
 * nothing else is said (see HELP_ALLOWED).
 */
export const HELP_HOWTO = [
  "làm sao", "làm thế nào", "thế nào", "như thế nào", "cách", "how", "sao", "ra sao", "bằng cách nào",
  "không biết", "chưa biết", "không hiểu", "chưa hiểu", "không rành", "không rõ", "chưa rõ",
  "không quen", "chưa quen", "mù", "nào", "đâu", "ở đâu", "chỗ nào", "gì", "hỏi", "don't know",
];
export const HELP_USE = [
  "dùng", "sử dụng", "use", "xài", "bấm", "nhấn", "ấn", "chạm", "trả lời", "nhắn", "nhắn tin",
  "gửi", "thao tác", "cài", "cài đặt", "vào", "mở", "chọn", "xem", "đăng ký", "liên kết", "rep", "reply",
  "nút", "bot", "app", "ứng dụng", "phần mềm", "công nghệ", "gửi ý kiến", "báo vắng",
];
export const HELP_ALLOWED = [
  "với", "cần", "đi", "để", "sử dụng", "dùng", "cách", "làm sao", "thế nào", "như thế nào", "bot",
  "này", "cái này", "lệnh", "các lệnh", "gì", "me", "how", "use", "need", "i", "được", "có",
  "cái", "nút", "app", "ứng dụng", "phần mềm", "điện thoại", "máy", "zalo", "telegram",
  "tin nhắn", "tin", "ý kiến", "lịch", "văn bản", "thông báo", "chức năng", "công nghệ", "già",
  "lớn tuổi", "mắt kém", "lắm", "quá", "nên", "phải", "làm", "gì cả", "hết", "chẳng", "chả",
  "không", "chưa", "hiểu", "biết", "rành", "lại", "ở", "trên", "đây", "kiểu", "sao", "nào",
  "thế", "ra", "mới", "lần đầu", "nhắn", "trả lời", "bấm", "gửi", "vào", "chỗ", "đâu", "nữa",
  "cho", "giúp", "giùm", "hộ", "ai", "đó", "chỉ", "nhé", "ơi", "dùm", "do not", "don't", "know",
  "to", "the", "this", "it", "can", "you", "tell", "please", "what", "do",
  "gửi ý kiến", "góp ý", "kiến nghị", "phản ánh", "báo vắng", "có mặt", "đã đọc", "thấy",
  "không thấy", "hiện", "lịch họp", "báo",
];

export const LANGUAGE_EN = ["tiếng anh", "english"];
export const LANGUAGE_VI = ["tiếng việt", "vietnamese"];
export const LANGUAGE_WORDS = ["ngôn ngữ", "language"];
export const LANGUAGE_CODES_EN = ["en", "anh", "english", "tiếng anh"];
export const LANGUAGE_CODES_VI = ["vi", "việt", "vietnamese", "tiếng việt"];
export const LANGUAGE_ALLOWED = [
  "đổi", "chuyển", "sang", "dùng", "sử dụng", "bằng", "nói", "chọn", "cài", "đặt", "cài đặt",
  "switch", "change", "to", "use", "in", "muốn", "được", "qua", "en", "vi", "làm sao", "cách",
  "thế nào", "như thế nào", "how", "sao", "ở đâu",
];

export const UNLINK_PHRASES = [
  "hủy liên kết", "bỏ liên kết", "ngắt liên kết", "gỡ liên kết", "xóa liên kết", "hủy kết nối",
  "ngắt kết nối", "unlink", "disconnect",
];
export const UNLINK_ALLOWED = [
  "tài khoản", "muốn", "với", "bot", "telegram", "zalo", "đi", "giúp", "account", "my",
];

export const CONCERN_START = [
  "ý kiến", "gửi ý kiến", "góp ý", "kiến nghị", "phản ánh", "đề xuất", "khiếu nại", "đề nghị",
  "thắc mắc", "hỏi", "cho hỏi", "feedback", "complaint", "suggestion", "concern",
];
export const CONCERN_START_ALLOWED = [
  "gửi", "muốn", "có", "một", "vài", "cần", "được", "với", "chi hội", "hội", "lên", "tới",
  "ban chấp hành", "want", "send", "make", "have", "submit", "mới", "nữa", "thêm", "một số",
  "điều", "việc", "chuyện", "chút", "tí", "xíu", "một chút",
];

export const SATISFIED = ["hài lòng", "ưng ý", "vừa ý", "thỏa đáng", "thỏa mãn", "satisfied"];
export const UNSATISFIED = ["unsatisfied", "dissatisfied", "bất mãn"];
export const SATISFACTION_ALLOWED = [
  "rất", "lắm", "quá", "với", "kết quả", "cách", "giải quyết", "hoàn toàn", "very", "đã",
  "được", "về", "việc", "này",
];

export const YES_WORDS = [
  "có", "ok", "đúng", "vâng", "dạ", "ừ", "ờ", "yes", "yeah", "yep", "sure", "được", "đồng ý",
  "nhất trí", "chuẩn", "chính xác", "phải", "xác nhận", "đúng rồi", "rồi", "okay",
];
export const NO_WORDS = [
  "không", "hủy", "thôi", "no", "nope", "nah", "cancel", "khỏi", "không cần", "không đồng ý",
  "sai", "không phải", "chưa", "thôi khỏi",
];

/** "Stop what we are doing" in a guided flow: "hủy", "thôi", "cancel", "dừng lại"… */
export const CANCEL_WORDS = [
  "hủy", "hủy bỏ", "thôi", "thôi khỏi", "cancel", "stop", "dừng", "dừng lại", "thoát", "exit", "quit",
  "không làm nữa", "hủy thao tác",
];
export const CANCEL_ALLOWED = ["đi", "luôn", "việc này", "cái này", "tất cả", "hết", "bỏ", "nữa"];
/** Command names that cancel (folded, without the slash). */
export const CANCEL_COMMANDS = ["huy", "huybo", "cancel", "thoi", "stop", "dung", "exit", "quit"];

export const CHOICE_WORDS = [
  "số", "chọn", "lựa chọn", "phương án", "ý", "mục", "câu", "option", "number", "choice",
];

/** Words (folded, without diacritics) that may surround a 6-digit link code. */
export const LINK_FILLERS = [
  "dk", "dang", "ky", "ki", "ma", "so", "lien", "ket", "code", "link", "start", "la", "cua",
  "toi", "em", "minh", "a", "nhe", "nha", "day", "xin", "gui", "otp", "my", "is", "the", "here",
  "ne", "oi", "cho", "e", "t", "chau", "bac", "anh", "chi", "voi", "ok", "vang", "da", "nhap",
  "noi", "xac", "nhan", "tai", "khoan", "cua", "ban", "of", "verification", "dangky", "makey",
  "maso",
];

/**
 * Compounds that exist only to protect other rules (merged into one word, so their parts are not
 * read as cues): "đề nghị" ≠ "nghỉ", "ban đêm" ≠ "bận", "hôm đó"/"do đó" ≠ the connector "do"…
 */
export const BLOCKING_COMPOUNDS = [
  "đề nghị", "kiến nghị", "hội nghị", "nghị quyết", "nghị định", "suy nghĩ", "nghĩ là",
  "nghi ngờ", "nghỉ hưu", "nghỉ ngơi", "nghỉ lễ", "ngày nghỉ", "nghỉ việc", "ý nghĩ",
  "ban đêm", "ban ngày", "ban chấp hành", "ban tổ chức", "ban ngành", "ban quản lý",
  "ban thường vụ", "ban điều hành", "ban đầu", "bạn bè", "do đó", "vì vậy", "vì thế",
  "bởi vậy", "tại sao", "vì sao", "mỗi khi", "không sao", "không có gì", "vắng vẻ", "thăm hỏi",
  "gia đình", "đường đi", "lối đi", "du lịch", "học tập", "đi học", "đi chợ", "đi khám", "đến nỗi", "đến khi",
  "cho đến", "hộ nghèo", "chế độ", "có thể nói", "tham gia bảo hiểm", "tham gia giao thông",
  "đi lại", "đi đường", "con đường", "mặt đường", "tiếng việt nam", "mặt bằng", "có mặt bằng",
  "mặt tiền", "có mặt tiền", "có gì", "nếu có gì", "gì đó",
];
