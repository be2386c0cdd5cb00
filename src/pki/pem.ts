// PEM text: the certificate blocks of a chain or trust file, in order (leaf first in a chain).
export const certificateBlocks = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
