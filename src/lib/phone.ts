/**
 * Normalises a Vietnamese phone number to its national form, digits only ("0912345678").
 * Accepts "0912 345 678", "+84912345678", "84.912.345.678", "(+84) 912-345-678" and numbers that
 * lost their leading zero in Excel (912345678). Returns null when it is not a plausible
 * Vietnamese number (mobile 10 digits, landline 10–11 digits with the 0).
 */
export function normalisePhone(input: string | number): string | null {
  let digits = String(input).trim();
  if (typeof input === "number") digits = Number.isInteger(input) ? input.toFixed(0) : "";
  if (!/^[+\d\s().\-]+$/.test(digits)) return null;
  digits = digits.replace(/\D/g, "");
  if (digits.startsWith("0084")) digits = "0" + digits.slice(4);
  else if (digits.startsWith("84") && digits.length >= 11) digits = "0" + digits.slice(2);
  else if (!digits.startsWith("0")) digits = "0" + digits;
  if (digits.length < 10 || digits.length > 11) return null;
  if (digits.startsWith("00")) return null;
  return digits;
}

/** Masks a phone for display in lists and logs: 0912***678. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return "";
  return phone.length > 6 ? `${phone.slice(0, 4)}***${phone.slice(-3)}` : "***";
}
