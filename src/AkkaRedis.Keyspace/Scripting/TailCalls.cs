namespace AkkaRedis.Keyspace.Scripting;

/// <summary>
/// Turns the tail calls of a compiled Lua 5.4 chunk (a string.dump of it) into plain calls. Redis reports where a script
/// failed by its line ("... on @user_script:1."), and most scripts end in "return redis.call(...)": Lua 5.4 compiles
/// that to a tail call, whose callee replaces the script's frame, so the line was lost ("@user_script:?"). Lua 5.1, as
/// Redis runs it, keeps the frame because redis.call is a C function there. A call followed by the return the compiler
/// already emits behind every tail call does what the tail call did.
///
/// The dump format is ldump.c's for Lua 5.4 (KeraLua's native build); only opcodes change, so sizes, line information
/// and everything else stay as they were.
/// </summary>
public static class TailCalls
{
    // lopcodes.h (5.4): iABC instructions, opcode in bits 0-6, k in bit 15, C in bits 24-31.
    private const uint OpCall = 68, OpTailCall = 69, OpMask = 0x7F, KBit = 1u << 15, CMask = 0xFFu << 24;

    // lobject.h type tags of constants.
    private const byte NumFloat = 0x13, NumInt = 0x03, ShortString = 0x04, LongString = 0x14;

    /// <summary>
    /// A copy of <paramref name="dump"/> with every function's tail calls made plain calls; the dump itself when it is not
    /// in the format this reads (then errors lose their line, as before, rather than bytecode being damaged).
    /// </summary>
    public static byte[] Untail(byte[] dump)
    {
        // Header: signature (4), version 5.4, format 0, LUAC_DATA (6), the sizes of an instruction, an integer and a
        // number, LUAC_INT (8), LUAC_NUM (8); then the main function's upvalue count.
        ReadOnlySpan<byte> header = [0x1B, (byte)'L', (byte)'u', (byte)'a', 0x54, 0, 0x19, 0x93, (byte)'\r', (byte)'\n', 0x1A, (byte)'\n', 4, 8, 8];
        if (!dump.AsSpan().StartsWith(header)) return dump;
        var patched = (byte[])dump.Clone();
        int position = header.Length + 8 + 8 + 1;
        try
        {
            Function(patched, ref position);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            return dump;
        }
        return position == dump.Length ? patched : dump;
    }

    private static void Function(byte[] dump, ref int position)
    {
        SkipString(dump, ref position); // source
        ReadSize(dump, ref position); // linedefined
        ReadSize(dump, ref position); // lastlinedefined
        position += 3; // numparams, is_vararg, maxstacksize
        int instructions = ReadSize(dump, ref position);
        for (int i = 0; i < instructions; i++, position += 4)
        {
            uint instruction = BitConverter.ToUInt32(dump, position);
            if ((instruction & OpMask) != OpTailCall) continue;
            // CALL A B C with C = 0: every result stays on the stack for the RETURN that follows. The tail call's C and
            // k (vararg and close marks) belong to that RETURN, which carries them too.
            instruction = (instruction & ~(OpMask | KBit | CMask)) | OpCall;
            BitConverter.TryWriteBytes(dump.AsSpan(position, 4), instruction);
        }
        int constants = ReadSize(dump, ref position);
        for (int i = 0; i < constants; i++)
        {
            byte tag = dump[position++];
            if (tag is NumFloat or NumInt) position += 8;
            else if (tag is ShortString or LongString) SkipString(dump, ref position);
        }
        int upvalues = ReadSize(dump, ref position);
        position += 3 * upvalues; // instack, idx, kind
        int protos = ReadSize(dump, ref position);
        for (int i = 0; i < protos; i++) Function(dump, ref position);
        int lineInfo = ReadSize(dump, ref position);
        position += lineInfo; // a byte per instruction
        int absolute = ReadSize(dump, ref position);
        for (int i = 0; i < absolute; i++)
        {
            ReadSize(dump, ref position);
            ReadSize(dump, ref position);
        }
        int locals = ReadSize(dump, ref position);
        for (int i = 0; i < locals; i++)
        {
            SkipString(dump, ref position);
            ReadSize(dump, ref position);
            ReadSize(dump, ref position);
        }
        int upvalueNames = ReadSize(dump, ref position);
        for (int i = 0; i < upvalueNames; i++) SkipString(dump, ref position);
    }

    /// <summary>dumpSize's encoding: 7 bits a byte, most significant first, the last byte marked with 0x80.</summary>
    private static int ReadSize(byte[] dump, ref int position)
    {
        long size = 0;
        byte b;
        do
        {
            b = dump[position++];
            size = (size << 7) | (b & 0x7Fu);
        } while ((b & 0x80) == 0);
        return checked((int)size);
    }

    /// <summary>A string: its size plus one (0 for none), then its bytes.</summary>
    private static void SkipString(byte[] dump, ref int position)
    {
        int size = ReadSize(dump, ref position);
        if (size > 0) position += size - 1;
    }
}
