/**
 * Normalises a Vietnamese phone number to its national form, digits only ("0912345678").
 * Accepts "0912 345 678", "+84912345678", "84.912.345.678", "(+84) 912-345-678",
 * "+84 (0) 912 345 678" and numbers that lost their leading zero in Excel (912345678). Returns
 * null when it is not a plausible Vietnamese number: 10 digits with the 0 (mobile, or an old-style
 * landline), or 11 digits starting "02" (landline). An 11-digit number with any other prefix — a
 * mobile with one digit too many, or a pre-2018 "01xx" mobile that no longer exists — is rejected.
 */
export function normalisePhone(input: string | number): string | null {
  let digits = String(input).trim();
  if (typeof input === "number") digits = Number.isInteger(input) && input > 0 ? input.toFixed(0) : "";
  if (!/^[+\d\s().-]+$/.test(digits)) return null;
  digits = digits.replace(/\D/g, "");
  if (digits.startsWith("0084")) digits = digits.slice(4);
  else if (digits.startsWith("84") && digits.length >= 11) digits = digits.slice(2);
  // Now the national number, with its 0 ("+84 (0) 912 345 678") or without it.
  if (!digits.startsWith("0")) digits = `0${digits}`;
  if (digits.length === 10) return /^0[2-9]/.test(digits) ? digits : null;
  if (digits.length === 11) return digits.startsWith("02") ? digits : null;
  return null;
}

/** Masks a phone for display in lists and logs: 0912***678. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return "";
  return phone.length > 6 ? `${phone.slice(0, 4)}***${phone.slice(-3)}` : "***";
}
