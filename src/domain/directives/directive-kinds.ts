/** The kinds of directive (văn bản), in their own module: the button payload codec needs them too. */

/** Nghị quyết, chỉ thị, kế hoạch, thông báo, hướng dẫn. */
export const directiveKinds = ["nghi_quyet", "chi_thi", "ke_hoach", "thong_bao", "huong_dan"] as const;
export type DirectiveKind = (typeof directiveKinds)[number];

/** True for one of `directiveKinds`. */
export function isDirectiveKind(value: unknown): value is DirectiveKind {
  return typeof value === "string" && (directiveKinds as readonly string[]).includes(value);
}
