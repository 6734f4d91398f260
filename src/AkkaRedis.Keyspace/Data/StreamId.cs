using System.Buffers.Text;
using System.Text;

namespace AkkaRedis.Keyspace.Data;

/// <summary>A stream entry's ID: milliseconds and a sequence number, both unsigned 64-bit (t_stream.c's streamID).</summary>
public readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
{
    public static readonly StreamId Zero = new(0, 0);
    public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

    public bool IsZero => Ms == 0 && Seq == 0;

    public int CompareTo(StreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    public static bool operator <(StreamId a, StreamId b) => a.CompareTo(b) < 0;
    public static bool operator >(StreamId a, StreamId b) => a.CompareTo(b) > 0;
    public static bool operator <=(StreamId a, StreamId b) => a.CompareTo(b) <= 0;
    public static bool operator >=(StreamId a, StreamId b) => a.CompareTo(b) >= 0;

    /// <summary>streamIncrID: the next ID, false past the last possible one.</summary>
    public bool TryIncrement(out StreamId next)
    {
        if (Seq != ulong.MaxValue) next = new StreamId(Ms, Seq + 1);
        else if (Ms != ulong.MaxValue) next = new StreamId(Ms + 1, 0);
        else
        {
            next = this;
            return false;
        }
        return true;
    }

    /// <summary>streamDecrID: the previous ID, false before 0-0.</summary>
    public bool TryDecrement(out StreamId previous)
    {
        if (Seq != 0) previous = new StreamId(Ms, Seq - 1);
        else if (Ms != 0) previous = new StreamId(Ms - 1, ulong.MaxValue);
        else
        {
            previous = this;
            return false;
        }
        return true;
    }

    public override string ToString() => $"{Ms}-{Seq}";

    /// <summary>"ms-seq" as bytes, formatted in place (every XADD reply and journaled XADD carries one).</summary>
    public byte[] ToBytes()
    {
        Span<byte> text = stackalloc byte[41];
        Utf8Formatter.TryFormat(Ms, text, out int ms);
        text[ms] = (byte)'-';
        Utf8Formatter.TryFormat(Seq, text[(ms + 1)..], out int seq);
        return text[..(ms + 1 + seq)].ToArray();
    }

    /// <summary>
    /// streamGenericParseIDOrReply: "ms-seq", or "ms" with <paramref name="missingSeq"/>; "-" and "+" unless
    /// <paramref name="strict"/>; "ms-*" only where <paramref name="seqGiven"/> is asked for (XADD), which is then false.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out StreamId id, ulong missingSeq = 0, bool strict = false, bool allowSeqStar = false) =>
        TryParse(text, out id, out _, missingSeq, strict, allowSeqStar);

    public static bool TryParse(ReadOnlySpan<byte> text, out StreamId id, out bool seqGiven, ulong missingSeq, bool strict, bool allowSeqStar)
    {
        id = Zero;
        seqGiven = true;
        if (text.Length > 127) return false;
        if (text.Length == 1 && text[0] is (byte)'-' or (byte)'+')
        {
            if (strict) return false;
            id = text[0] == '-' ? Zero : Max;
            return true;
        }
        int dash = text.IndexOf((byte)'-');
        var msText = dash < 0 ? text : text[..dash];
        if (!TryParseUnsigned(msText, out ulong ms)) return false;
        ulong seq = missingSeq;
        if (dash >= 0)
        {
            var seqText = text[(dash + 1)..];
            if (allowSeqStar && seqText.Length == 1 && seqText[0] == '*')
            {
                seq = 0;
                seqGiven = false;
            }
            else if (!TryParseUnsigned(seqText, out seq)) return false;
        }
        id = new StreamId(ms, seq);
        return true;
    }

    /// <summary>string2ull: decimal digits only (no sign, no spaces), within 64 bits.</summary>
    private static bool TryParseUnsigned(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.Length == 0 || text[0] is < (byte)'0' or > (byte)'9') return false;
        return Utf8Parser.TryParse(text, out value, out int consumed) && consumed == text.Length;
    }
}
