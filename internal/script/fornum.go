package script

import (
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Lua 5.1 converts a numeric string in a numeric for loop's initial
// value, limit and step to a number (lvm.c's OP_FORPREP uses tonumber),
// so `for i = 1, ARGV[1] do` runs in Redis, where every ARGV is a string;
// gopher-lua raises "for statement limit must be a number". Scripts
// written against Redis rely on it, so compile rewrites each such bound
// that is not a number literal into a call of forNumber, which converts
// it or raises Lua 5.1's error. The call runs once per loop, not per
// iteration.

// forNumberName is the global the rewritten bounds call.
const forNumberName = "__redis_for_number"

// forNumber converts a for loop bound as Lua 5.1 does.
func forNumber(L *lua.LState) int {
	switch v := L.Get(1).(type) {
	case lua.LNumber:
		L.Push(v)
		return 1
	case lua.LString:
		if n, err := parseLuaNumber(string(v)); err == nil {
			L.Push(lua.LNumber(n))
			return 1
		}
	}
	L.RaiseError("'for' %s must be a number", L.CheckString(2))
	return 0
}

// coerceForBounds rewrites the numeric for loops of a chunk, nested
// functions included.
func coerceForBounds(stmts []ast.Stmt) {
	for _, s := range stmts {
		coerceStmt(s)
	}
}

func coerceStmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.NumberForStmt:
		s.Init = forBound(coerceExpr(s.Init), "initial value")
		s.Limit = forBound(coerceExpr(s.Limit), "limit")
		if s.Step != nil {
			s.Step = forBound(coerceExpr(s.Step), "step")
		}
		coerceForBounds(s.Stmts)
	case *ast.AssignStmt:
		coerceExprs(s.Lhs)
		coerceExprs(s.Rhs)
	case *ast.LocalAssignStmt:
		coerceExprs(s.Exprs)
	case *ast.FuncCallStmt:
		coerceExpr(s.Expr)
	case *ast.DoBlockStmt:
		coerceForBounds(s.Stmts)
	case *ast.WhileStmt:
		coerceExpr(s.Condition)
		coerceForBounds(s.Stmts)
	case *ast.RepeatStmt:
		coerceExpr(s.Condition)
		coerceForBounds(s.Stmts)
	case *ast.IfStmt:
		coerceExpr(s.Condition)
		coerceForBounds(s.Then)
		coerceForBounds(s.Else)
	case *ast.GenericForStmt:
		coerceExprs(s.Exprs)
		coerceForBounds(s.Stmts)
	case *ast.FuncDefStmt:
		coerceExpr(s.Func)
	case *ast.ReturnStmt:
		coerceExprs(s.Exprs)
	}
}

func coerceExprs(es []ast.Expr) {
	for _, e := range es {
		coerceExpr(e)
	}
}

// coerceExpr rewrites the loops inside the functions an expression
// defines, and returns it.
func coerceExpr(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case *ast.FunctionExpr:
		coerceForBounds(e.Stmts)
	case *ast.AttrGetExpr:
		coerceExpr(e.Object)
		coerceExpr(e.Key)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			coerceExpr(f.Key)
			coerceExpr(f.Value)
		}
	case *ast.FuncCallExpr:
		coerceExpr(e.Func)
		coerceExpr(e.Receiver)
		coerceExprs(e.Args)
	case *ast.LogicalOpExpr:
		coerceExpr(e.Lhs)
		coerceExpr(e.Rhs)
	case *ast.RelationalOpExpr:
		coerceExpr(e.Lhs)
		coerceExpr(e.Rhs)
	case *ast.StringConcatOpExpr:
		coerceExpr(e.Lhs)
		coerceExpr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		coerceExpr(e.Lhs)
		coerceExpr(e.Rhs)
	case *ast.UnaryMinusOpExpr:
		coerceExpr(e.Expr)
	case *ast.UnaryNotOpExpr:
		coerceExpr(e.Expr)
	case *ast.UnaryLenOpExpr:
		coerceExpr(e.Expr)
	}
	return e
}

// forBound wraps a loop bound that is not a number literal in a call of
// forNumber.
func forBound(e ast.Expr, what string) ast.Expr {
	switch x := e.(type) {
	case *ast.NumberExpr:
		return e
	case *ast.UnaryMinusOpExpr:
		if _, ok := x.Expr.(*ast.NumberExpr); ok {
			return e
		}
	}
	fn := &ast.IdentExpr{Value: forNumberName}
	arg := &ast.StringExpr{Value: what}
	call := &ast.FuncCallExpr{Func: fn, Args: []ast.Expr{e, arg}, AdjustRet: true}
	for _, n := range []ast.Expr{fn, arg, call} {
		n.SetLine(e.Line())
		n.SetLastLine(e.LastLine())
	}
	return call
}
